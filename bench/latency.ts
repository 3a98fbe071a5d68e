/**
 * End-to-end latencies in single-process mode (npm start's shape, via test/support/sluice.ts):
 * REST POST of a RUNNING Deployment -> its pods exist in the target namespace, and the
 * pods Ready -> the Deployment's status RUNNING. Observed through watches of the bench's own.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { openWatch } from '../shared/kube/typed.js';
import { FLINK_DEPLOYMENTS } from '../shared/kube/resources.js';
import type { DeploymentResource } from '../shared/model/index.js';
import { startSluice } from '../test/support/sluice.js';
import type { BenchEnv } from './env.js';
import { VNS, deploymentBody } from './fixture.js';
import { type Summary, sleep, summarize } from './stats.js';

export interface Latency {
  runs: number;
  postToPods: Summary;
  readyToRunning: Summary;
  postToRunning: Summary;
}

interface Seen {
  pods: Map<string, { at: number; ready?: number; component?: string }>;
  running?: number;
}

const isReady = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

async function until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

export async function latencyBench(env: BenchEnv, runs: number, log: (l: string) => void): Promise<Latency> {
  const targetNamespace = 'bench-sp-jobs';
  const sluice = await startSluice({
    kubeconfig: env.kubeconfig,
    redisUrl: env.redis.url,
    platformNamespace: 'sluice-bench-sp',
    logLevel: 'error',
  });
  const byDeployment = new Map<string, Seen>();
  const seen = (id: string) => {
    let s = byDeployment.get(id);
    if (!s) byDeployment.set(id, (s = { pods: new Map() }));
    return s;
  };
  const aborts: AbortController[] = [];
  try {
    const ns = await sluice.api('/namespaces/v1/namespaces', { method: 'POST', body: JSON.stringify({ name: `namespaces/${VNS}` }) });
    if (ns.status !== 201 && ns.status !== 409) throw new Error(`namespace: ${ns.status} ${await ns.text()}`);
    const t = await sluice.api(`/api/v1/namespaces/${VNS}/deployment-targets`, {
      method: 'POST',
      body: JSON.stringify({ metadata: { name: 'bench-target' }, spec: { kubernetes: { namespace: targetNamespace } } }),
    });
    if (t.status !== 201) throw new Error(`target: ${t.status} ${await t.text()}`);
    const targetId = ((await t.json()) as { metadata: { id: string } }).metadata.id;
    // The target namespace is made by onDeploymentTargetCreate; pods are refused until its default service account exists.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const sa = await sluice.kube.core
        .readNamespacedServiceAccount({ namespace: targetNamespace, name: 'default' })
        .catch(() => undefined);
      if (sa) break;
      if (Date.now() > deadline) throw new Error('target namespace not ready');
      await sleep(100);
    }

    aborts.push(
      await openWatch(
        sluice.kube.config,
        `/api/v1/namespaces/${targetNamespace}/pods`,
        { labelSelector: 'system=ververica-platform' },
        (phase, pod: V1Pod) => {
          const now = performance.now();
          const id = pod.metadata?.labels?.deploymentId;
          if (!id || phase === 'DELETED') return;
          const s = seen(id);
          const p = s.pods.get(pod.metadata!.uid!) ?? { at: now, component: pod.metadata?.labels?.component };
          if (isReady(pod) && p.ready === undefined) p.ready = now;
          s.pods.set(pod.metadata!.uid!, p);
        },
      ),
    );
    aborts.push(
      await openWatch(
        sluice.kube.config,
        `/apis/${FLINK_DEPLOYMENTS.apiVersion}/namespaces/${sluice.ctx.settings.platformNamespace}/${FLINK_DEPLOYMENTS.plural}`,
        {},
        (_phase, d: DeploymentResource) => {
          const now = performance.now();
          const s = seen(d.spec.metadata.id);
          if (d.status?.state === 'RUNNING' && s.running === undefined) s.running = now;
        },
      ),
    );
    await sleep(500);

    const postToPods: number[] = [];
    const readyToRunning: number[] = [];
    const postToRunning: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
      await sleep(300);
      const t0 = performance.now();
      const res = await sluice.api(`/api/v1/namespaces/${VNS}/deployments`, {
        method: 'POST',
        body: JSON.stringify(deploymentBody(`lat-${Date.now()}-${i}`, targetId)),
      });
      if (res.status !== 201) throw new Error(`deployment: ${res.status} ${await res.text()}`);
      const id = ((await res.json()) as { metadata: { id: string } }).metadata.id;
      const s = seen(id);
      const both = (p: Seen['pods']) =>
        [...p.values()].some((x) => x.component === 'jobmanager') && [...p.values()].some((x) => x.component === 'taskmanager');
      const podsAt = await until(
        () => (both(s.pods) ? Math.max(...[...s.pods.values()].map((p) => p.at)) : undefined),
        30_000,
        `pods of ${id}`,
      );
      const readyAt = await until(
        () => {
          const pods = [...s.pods.values()];
          return both(s.pods) && pods.every((p) => p.ready !== undefined) ? Math.max(...pods.map((p) => p.ready!)) : undefined;
        },
        30_000,
        `pods of ${id} Ready`,
      );
      const runningAt = await until(() => s.running, 30_000, `${id} RUNNING`);
      if (i === 0) continue; // warm-up: first use of every code path
      postToPods.push(podsAt - t0);
      readyToRunning.push(runningAt - readyAt);
      postToRunning.push(runningAt - t0);
    }
    const result = {
      runs,
      postToPods: summarize(postToPods),
      readyToRunning: summarize(readyToRunning),
      postToRunning: summarize(postToRunning),
    };
    log(`latency: POST->pods ${postToPods.map((x) => x.toFixed(0)).join(' ')} ms`);
    log(`latency: Ready->RUNNING ${readyToRunning.map((x) => x.toFixed(0)).join(' ')} ms`);
    return result;
  } finally {
    for (const a of aborts) a.abort();
    await sluice.stop();
  }
}
