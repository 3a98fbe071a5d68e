import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Settings } from './config.js';
import { Kube } from './kube.js';

export interface ClusterConnection {
  kube: Kube;
  kubeconfig: string | undefined;
  local: boolean;
  stop(): Promise<void>;
}

async function reachable(kube: Kube): Promise<boolean> {
  try {
    await Promise.race([
      kube.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000)),
    ]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The cluster of KUBECONFIG (or ~/.kube/config) when it answers, else the local
 * one (etcd + kube-apiserver + kube-controller-manager and the pod simulator), whose
 * kubeconfig is written to $SLUICE_HOME/kubeconfig. SLUICE_CLUSTER=local forces it.
 */
export async function connectCluster(settings: Settings, log: Logger): Promise<ClusterConnection> {
  if (settings.cluster !== 'local') {
    const path = settings.kubeconfig ?? join(homedir(), '.kube', 'config');
    const inCluster = !!process.env.KUBERNETES_SERVICE_HOST;
    if (inCluster || existsSync(path)) {
      const kube = Kube.fromEnvironment(settings.kubeconfig);
      if (await reachable(kube)) return { kube, kubeconfig: settings.kubeconfig, local: false, stop: async () => {} };
      log.warn({ server: kube.config.getCurrentCluster()?.server }, 'the configured cluster does not answer; starting the local cluster');
    }
  }
  // Imported only here: a function's container never starts a local cluster.
  const { startLocalCluster } = await import('./local/cluster.js');
  const { startPodSimulator } = await import('./local/pod-simulator.js');
  mkdirSync(settings.home, { recursive: true });
  log.info({ dir: join(settings.home, 'cluster') }, 'starting the local cluster (the first start builds it: a few minutes)');
  const cluster = await startLocalCluster({
    dir: join(settings.home, 'cluster'),
    log: (line) => log.info({ component: 'local-cluster' }, line),
  });
  const kubeconfig = join(settings.home, 'kubeconfig');
  copyFileSync(cluster.kubeconfig, kubeconfig);
  const simulator = await startPodSimulator(kubeconfig);
  return {
    kube: Kube.fromFile(kubeconfig),
    kubeconfig,
    local: true,
    stop: async () => {
      await simulator.stop();
      await cluster.stop();
    },
  };
}
