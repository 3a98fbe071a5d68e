/**
 * REST POST of a RUNNING Deployment -> Flink reports its job RUNNING, on real Flink (the pod
 * simulator runs the pods as Flink's own Java processes), in single-process mode. Split into
 * what is Sluice's and what is Flink's:
 *   POST -> both pods exist                  Sluice (API, patch set, deploymentStep)
 *   pods exist -> Flink's job RUNNING        the JVMs' start, Flink's own scheduling
 *   Flink's job RUNNING -> Deployment RUNNING Sluice noticing (negative: Sluice said RUNNING first)
 * Flink's RUNNING time is its own record (`timestamps.RUNNING` of GET /jobs/:id), on the same
 * machine's clock as the bench's.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { V1Pod } from '@kubernetes/client-node';
import { FLINK_ANNOTATION } from '../shared/local/pod-simulator.js';
import { startSluice } from '../test/support/sluice.js';
import type { BenchEnv } from './env.js';
import { type Summary, sleep, summarize } from './stats.js';

export interface RealFlinkLatency {
  flinkVersion: string;
  runs: number;
  postToPods: Summary;
  podsToFlinkRunning: Summary;
  flinkRunningToDeploymentRunning: Summary;
  postToFlinkRunning: Summary;
}

const REAL = { metadata: { annotations: { [FLINK_ANNOTATION]: 'real' } } };
const FETCH = fileURLToPath(new URL('../scripts/fetch-flink.sh', import.meta.url));

async function poll<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export async function realFlinkBench(
  env: BenchEnv,
  runs: number,
  flinkVersion: string,
  log: (l: string) => void,
): Promise<RealFlinkLatency> {
  execFileSync(FETCH, [flinkVersion], { stdio: ['ignore', 'ignore', 'inherit'] });
  // Each version its own platform, vNamespace and target namespace: a stopped Sluice's namespaces are still terminating.
  const suffix = flinkVersion.replace('.', '-');
  const VNS = `bench-flink-${suffix}`;
  const targetNamespace = `bench-flink-${suffix}-jobs`;
  const sluice = await startSluice({
    kubeconfig: env.kubeconfig,
    redisUrl: env.redis.url,
    platformNamespace: `sluice-bench-flink-${suffix}`,
    logLevel: 'error',
  });
  const pods = async (deploymentId: string): Promise<V1Pod[]> =>
    (await sluice.kube.core.listNamespacedPod({ namespace: targetNamespace, labelSelector: `deploymentId=${deploymentId}` })).items;
  try {
    const ns = await sluice.api('/namespaces/v1/namespaces', { method: 'POST', body: JSON.stringify({ name: `namespaces/${VNS}` }) });
    if (ns.status !== 201 && ns.status !== 409) throw new Error(`namespace: ${ns.status} ${await ns.text()}`);
    const t = await sluice.api(`/api/v1/namespaces/${VNS}/deployment-targets`, {
      method: 'POST',
      body: JSON.stringify({ metadata: { name: 'target' }, spec: { kubernetes: { namespace: targetNamespace } } }),
    });
    if (t.status !== 201) throw new Error(`target: ${t.status} ${await t.text()}`);
    await poll(
      () => sluice.kube.core.readNamespacedServiceAccount({ namespace: targetNamespace, name: 'default' }).catch(() => undefined),
      60_000,
      'target namespace',
    );

    const postToPods: number[] = [];
    const podsToFlink: number[] = [];
    const flinkToDeployment: number[] = [];
    const postToFlink: number[] = [];
    for (let i = 0; i < runs; i++) {
      const name = `flink-${Date.now()}-${i}`;
      const t0 = Date.now();
      const res = await sluice.api(`/api/v1/namespaces/${VNS}/deployments`, {
        method: 'POST',
        body: JSON.stringify({
          metadata: { name },
          spec: {
            state: 'RUNNING',
            deploymentTargetName: 'target',
            template: {
              spec: {
                artifact: { kind: 'JAR', jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar', flinkVersion },
                parallelism: 1,
                resources: { jobmanager: { cpu: 0.5, memory: '1g' }, taskmanager: { cpu: 0.5, memory: '1g' } },
                kubernetes: { jobManagerPodTemplate: REAL, taskManagerPodTemplate: REAL },
              },
            },
          },
        }),
      });
      if (res.status !== 201) throw new Error(`deployment: ${res.status} ${await res.text()}`);
      const id = ((await res.json()) as { metadata: { id: string } }).metadata.id;
      const podsAt = await poll(
        async () => {
          const ps = await pods(id);
          const both = ['jobmanager', 'taskmanager'].every((c) => ps.some((p) => p.metadata?.labels?.component === c));
          return both ? Date.now() : undefined;
        },
        30_000,
        `pods of ${name}`,
        5,
      );
      let deploymentRunningAt: number | undefined;
      const flinkRunningAt = await poll(
        async () => {
          if (deploymentRunningAt === undefined) {
            const d = await sluice.api(`/api/v1/namespaces/${VNS}/deployments/${name}`);
            if (((await d.json()) as { status?: { state?: string } }).status?.state === 'RUNNING') deploymentRunningAt = Date.now();
          }
          const jm = (await pods(id)).find((p) => p.metadata?.labels?.component === 'jobmanager' && p.status?.podIP);
          const jobId = jm?.metadata?.labels?.jobId;
          if (!jm || !jobId) return undefined;
          const flink = await fetch(`http://${jm.status!.podIP}:8081/jobs/${jobId.replace(/-/g, '')}`).catch(() => undefined);
          const job = flink?.ok ? ((await flink.json()) as { state?: string; timestamps?: Record<string, number> }) : undefined;
          return job?.state === 'RUNNING' ? job.timestamps?.RUNNING : undefined;
        },
        180_000,
        `Flink running ${name}`,
        50,
      );
      deploymentRunningAt ??= await poll(
        async () => {
          const d = await sluice.api(`/api/v1/namespaces/${VNS}/deployments/${name}`);
          return ((await d.json()) as { status?: { state?: string } }).status?.state === 'RUNNING' ? Date.now() : undefined;
        },
        60_000,
        `${name} RUNNING`,
      );
      postToPods.push(podsAt - t0);
      podsToFlink.push(flinkRunningAt - podsAt);
      flinkToDeployment.push(deploymentRunningAt - flinkRunningAt);
      postToFlink.push(flinkRunningAt - t0);
      log(
        `real Flink ${flinkVersion}: POST->pods ${podsAt - t0} ms, pods->Flink RUNNING ${flinkRunningAt - podsAt} ms, Flink RUNNING->Deployment RUNNING ${deploymentRunningAt - flinkRunningAt} ms`,
      );
      // One Flink cluster at a time: the next run's JVMs should not share the cores with this one's.
      await sluice.api(`/api/v1/namespaces/${VNS}/deployments/${name}`, {
        method: 'PATCH',
        body: JSON.stringify({ spec: { state: 'CANCELLED' } }),
      });
      await poll(async () => ((await pods(id)).length === 0 ? true : undefined), 120_000, `pods of ${name} gone`, 200);
    }
    return {
      flinkVersion,
      runs,
      postToPods: summarize(postToPods),
      podsToFlinkRunning: summarize(podsToFlink),
      flinkRunningToDeploymentRunning: summarize(flinkToDeployment),
      postToFlinkRunning: summarize(postToFlink),
    };
  } finally {
    await sluice.stop();
  }
}
