import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Settings } from '../config.js';
import { Kube } from './client.js';

export interface ClusterConnection {
  kube: Kube;
  kubeconfig: string | undefined;
  local: boolean;
  stop(): Promise<void>;
}

/** Why `kube`'s API server does not answer within 3 s, or undefined when it does. */
export async function unreachable(kube: Kube): Promise<string | undefined> {
  try {
    await Promise.race([kube.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 3 s')), 3000))]);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The configured cluster: KUBECONFIG (or ~/.kube/config), or the in-cluster credentials.
 * One that does not answer is still the one used: its unavailability is reported and
 * retried, never replaced by another (an empty cluster would show tenants nothing). Only when
 * no cluster is configured, or SLUICE_CLUSTER=local, the local one starts (etcd +
 * kube-apiserver + kube-controller-manager and the pod simulator), with its kubeconfig in
 * $SLUICE_HOME/kubeconfig.
 */
export async function connectCluster(settings: Settings, log: Logger): Promise<ClusterConnection> {
  if (settings.cluster !== 'local') {
    if (settings.kubeconfig && !existsSync(settings.kubeconfig)) {
      throw new Error(`KUBECONFIG ${settings.kubeconfig} does not exist (unset it, or set SLUICE_CLUSTER=local, to run the local cluster)`);
    }
    const inCluster = !!process.env.KUBERNETES_SERVICE_HOST;
    if (inCluster || existsSync(settings.kubeconfig ?? join(homedir(), '.kube', 'config'))) {
      const kube = Kube.fromEnvironment(settings.kubeconfig);
      const why = await unreachable(kube);
      if (why) {
        log.error(
          { server: kube.server, reason: why },
          'the configured cluster does not answer: retrying until it does (/readyz says not ready meanwhile)',
        );
      }
      return { kube, kubeconfig: settings.kubeconfig, local: false, stop: async () => {} };
    }
  }
  // Imported only here: a function's container never starts a local cluster.
  const { startLocalCluster } = await import('../local/cluster.js');
  const { startPodSimulator } = await import('../local/pod-simulator.js');
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
