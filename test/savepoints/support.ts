import { randomBytes } from 'node:crypto';
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { CrClient } from '../../shared/kube/cr-client.js';
import { SAVEPOINT_TRIGGERED_REASON } from '../../shared/local/pod-simulator.js';
import { FLINK_DEPLOYMENTS, FLINK_JOBS, SAVEPOINTS } from '../../shared/kube/resources.js';
import type { DeploymentResource, JobResource, SavepointResource } from '../../shared/model/index.js';
import { eventually as bedEventually } from '../bed/env.js';
import type { RunningSluice } from '../support/sluice.js';

/** test/bed's eventually, with this folder's argument order (what before timeout) and longer default. */
export const eventually = <T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> =>
  bedEventually(probe, timeoutMs, what);

export const DIR = 's3://bucket/savepoints';

export type VvpDeployment = {
  metadata: { id: string; name: string; resourceVersion: number };
  spec: { state: string };
  status: { state?: string; running?: { jobId?: string }; failure?: { reason: string; message: string } };
};
export type VvpSavepoint = {
  kind: string;
  metadata: { id: string; namespace: string; createdAt: string; deploymentId?: string; jobId?: string; origin: string };
  spec: { savepointLocation: string; flinkSavepointId?: string };
  status: { state: string; failure?: { reason: string; message: string } };
};
export type VvpJob = {
  metadata: { id: string; deploymentId: string; deploymentName: string; terminatedAt?: string };
  spec: { savepointLocation?: string; allowNonRestoredState?: boolean; deploymentTarget: { kubernetes: { namespace: string } } };
  status: { state: string };
};

/** A vNamespace with a Deployment Target on a fresh Kubernetes namespace of its own. */
export async function tenant(
  sluice: RunningSluice,
  vns: string,
  opts: { events?: boolean } = {},
): Promise<{ vns: string; namespace: string }> {
  const namespace = `sp-${randomBytes(4).toString('hex')}`;
  const ns = await sluice.api('/namespaces/v1/namespaces', { method: 'POST', body: JSON.stringify({ name: `namespaces/${vns}` }) });
  expect(ns.status, await ns.clone().text()).toBe(201);
  const t = await sluice.api(`/api/v1/namespaces/${vns}/deployment-targets`, {
    method: 'POST',
    body: JSON.stringify({ metadata: { name: 'target' }, spec: { kubernetes: { namespace } } }),
  });
  expect(t.status, await t.clone().text()).toBe(201);
  // Pods are refused until the namespace's default service account exists: a JobManager
  // created before that waits out the Job controller's backoff.
  await eventually(async () => {
    if (opts.events === false) await sluice.runner.resyncAll();
    await sluice.kube.core.readNamespacedServiceAccount({ name: 'default', namespace });
    return true;
  }, `the default service account of ${namespace}`);
  return { vns, namespace };
}

export interface DeploymentOptions {
  state?: string;
  upgrade?: string;
  restore?: { kind: string; allowNonRestoredState?: boolean };
  flinkVersion?: string;
  flinkConfiguration?: Record<string, string>;
  /** Annotations of the JobManager pod (the pod simulator's steering). */
  jobManager?: Record<string, string>;
  maxSavepointCreationAttempts?: number;
}

export function deploymentBody(name: string, o: DeploymentOptions = {}) {
  return {
    metadata: { name },
    spec: {
      state: o.state ?? 'RUNNING',
      upgradeStrategy: { kind: o.upgrade ?? 'STATEFUL' },
      restoreStrategy: o.restore ?? { kind: 'LATEST_SAVEPOINT' },
      deploymentTargetName: 'target',
      ...(o.maxSavepointCreationAttempts ? { maxSavepointCreationAttempts: o.maxSavepointCreationAttempts } : {}),
      template: {
        spec: {
          artifact: {
            kind: 'JAR',
            jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar',
            flinkVersion: o.flinkVersion ?? '1.17',
          },
          parallelism: 1,
          flinkConfiguration: o.flinkConfiguration ?? { 'state.savepoints.dir': DIR },
          ...(o.jobManager ? { kubernetes: { jobManagerPodTemplate: { metadata: { annotations: o.jobManager } } } } : {}),
        },
      },
    },
  };
}

/** REST helpers bound to one vNamespace. */
export function client(sluice: RunningSluice, vns: string) {
  const base = `/api/v1/namespaces/${vns}`;
  const json = async <T>(res: Response, status = 200): Promise<T> => {
    expect(res.status, await res.clone().text()).toBe(status);
    return (await res.json()) as T;
  };
  const c = {
    create: async (name: string, o: DeploymentOptions = {}) =>
      json<VvpDeployment>(await sluice.api(`${base}/deployments`, { method: 'POST', body: JSON.stringify(deploymentBody(name, o)) }), 201),
    get: async (name: string) => json<VvpDeployment>(await sluice.api(`${base}/deployments/${encodeURIComponent(name)}`)),
    patch: async (name: string, body: unknown) =>
      json<VvpDeployment>(
        await sluice.api(`${base}/deployments/${encodeURIComponent(name)}`, { method: 'PATCH', body: JSON.stringify(body) }),
      ),
    job: async (id: string) => json<VvpJob>(await sluice.api(`${base}/jobs/${id}`)),
    savepoints: async (deploymentId?: string) =>
      (await json<{ items: VvpSavepoint[] }>(await sluice.api(`${base}/savepoints${deploymentId ? `?deploymentId=${deploymentId}` : ''}`)))
        .items,
    savepoint: async (id: string) => json<VvpSavepoint>(await sluice.api(`${base}/savepoints/${id}`)),
    importSavepoint: (body: unknown, token?: string) =>
      sluice.api(`${base}/savepoints`, { method: 'POST', body: JSON.stringify(body), ...(token ? { token } : {}) }),
    /** Waits for the deployment's status.state (and a predicate). */
    state: (name: string, state: string, more: (d: VvpDeployment) => boolean = () => true, timeoutMs = 30_000) =>
      eventually(
        async () => {
          const d = await c.get(name);
          return d.status?.state === state && more(d) ? d : undefined;
        },
        `deployment ${name} ${state}`,
        timeoutMs,
      ),
  };
  return c;
}

export async function jobPods(sluice: RunningSluice, namespace: string, jobId: string): Promise<V1Pod[]> {
  return (await sluice.kube.core.listNamespacedPod({ namespace, labelSelector: `jobId=${jobId}` })).items as V1Pod[];
}

/** The JobManager container's arguments of a job. */
export async function jobManagerArgs(sluice: RunningSluice, namespace: string, jobId: string): Promise<string[]> {
  const pod = await eventually(
    async () => (await jobPods(sluice, namespace, jobId)).find((p) => p.metadata?.labels?.component === 'jobmanager'),
    `JobManager pod of ${jobId}`,
  );
  return pod.spec!.containers[0]!.args ?? [];
}

/** Savepoint triggers the Flink stand-in of a job's JobManager received (Events outlive the pod). */
export async function savepointTriggers(sluice: RunningSluice, namespace: string, jobId: string): Promise<CoreV1Event[]> {
  const events = await sluice.kube.core.listNamespacedEvent({ namespace, fieldSelector: `reason=${SAVEPOINT_TRIGGERED_REASON}` });
  return (events.items as CoreV1Event[]).filter((e) => e.involvedObject?.name?.startsWith(`job-${jobId}-jobmanager-`));
}

/** Typed access to the internal custom resources of this Sluice. */
export function crs(sluice: RunningSluice) {
  const ns = sluice.ctx.settings.platformNamespace;
  return {
    deployments: new CrClient<DeploymentResource>(sluice.kube, FLINK_DEPLOYMENTS, ns),
    jobs: new CrClient<JobResource>(sluice.kube, FLINK_JOBS, ns),
    savepoints: new CrClient<SavepointResource>(sluice.kube, SAVEPOINTS, ns),
  };
}

/** With events off: runs every function's resync until `probe` holds (what the event source would have driven). */
export async function drive<T>(sluice: RunningSluice, probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  return eventually(
    async () => {
      await sluice.runner.resyncAll();
      return probe();
    },
    what,
    timeoutMs,
  );
}
