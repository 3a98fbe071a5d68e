import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventFunctions } from '../../functions/index.js';
import { resync } from '../../shared/runtime/resync.js';
import { eventually } from '../bed/env.js';
import { apiOk, jobsOf, team, waitForState } from '../faults/support.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { topSpeedWindowingBody } from '../support/top-speed-windowing.js';

/** Every object Sluice makes for a job in a target namespace, by kind, that is not being deleted. */
async function objectsOf(sluice: RunningSluice, namespace: string, deploymentId: string): Promise<string[]> {
  const labelSelector = `deploymentId=${deploymentId}`;
  const { core, objects } = sluice.kube;
  const lists = await Promise.all([
    core.listNamespacedConfigMap({ namespace, labelSelector }).then((l) => l.items.map((o) => ['ConfigMap', o.metadata] as const)),
    core.listNamespacedService({ namespace, labelSelector }).then((l) => l.items.map((o) => ['Service', o.metadata] as const)),
    core.listNamespacedPod({ namespace, labelSelector }).then((l) => l.items.map((o) => ['Pod', o.metadata] as const)),
    ...[
      ['apps/v1', 'Deployment'],
      ['apps/v1', 'ReplicaSet'],
      ['batch/v1', 'Job'],
    ].map(([apiVersion, kind]) =>
      objects
        .list(apiVersion!, kind!, namespace, undefined, undefined, undefined, undefined, labelSelector)
        .then((l) => l.items.map((o) => [kind!, o.metadata] as const)),
    ),
  ]);
  return lists
    .flat()
    .filter(([, meta]) => !meta?.deletionTimestamp)
    .map(([kind, meta]) => `${kind}/${meta?.name}`);
}

const nothingLeft = (sluice: RunningSluice, namespace: string, deploymentId: string) =>
  eventually(
    async () => (await objectsOf(sluice, namespace, deploymentId)).length === 0,
    30_000,
    `no objects of deployment ${deploymentId} in ${namespace}`,
  );

/** A deployment on `targetId`, as the REST API takes it, whose JobManager pods fail when `failing`. */
function body(name: string, targetId: string, opts: { failing?: boolean; state?: 'RUNNING' | 'CANCELLED' } = {}) {
  const b = topSpeedWindowingBody(VNS, name, targetId, opts.state ?? 'RUNNING');
  const spec = b.spec as Record<string, unknown> & { template: { spec: Record<string, unknown> } };
  if (opts.failing) {
    spec.maxJobCreationAttempts = 2;
    spec.template.spec.kubernetes = { jobManagerPodTemplate: { metadata: { annotations: { 'sim.sluice.dev/outcome': 'fail' } } } };
  }
  return JSON.stringify(b);
}

const VNS = 'cleanup';
const TARGET_NS = 'cleanup-jobs';

/** Nothing of a job outlives it: a failed, finished, cancelled or deleted deployment leaves no objects in its target namespace. */
describe('job clean-up', () => {
  let sluice: RunningSluice;
  let targetId: string;
  const path = `/api/v1/namespaces/${VNS}/deployments`;

  beforeAll(async () => {
    sluice = await startSluice();
    ({ targetId } = await team(sluice, VNS, TARGET_NS));
  });
  afterAll(() => sluice?.stop());

  it('tears down the cluster of a job that failed its last attempt (its TaskManagers no longer run)', async () => {
    const created = await apiOk<{ metadata: { id: string } }>(sluice, path, {
      method: 'POST',
      body: body('fails', targetId, { failing: true }),
    });
    await waitForState(sluice, VNS, 'fails', 'FAILED');
    await nothingLeft(sluice, TARGET_NS, created.metadata.id);
    expect((await jobsOf(sluice, created.metadata.id)).map((j) => j.status?.state)).toEqual(['FAILED', 'FAILED']);
  });

  it('deletes a running deployment right after its cancel: 200 at once, then it and all its objects are gone', async () => {
    const created = await apiOk<{ metadata: { id: string } }>(sluice, path, { method: 'POST', body: body('runs', targetId) });
    await waitForState(sluice, VNS, 'runs', 'RUNNING');
    expect((await objectsOf(sluice, TARGET_NS, created.metadata.id)).length).toBeGreaterThanOrEqual(7);
    await apiOk(sluice, `${path}/runs`, { method: 'PATCH', body: JSON.stringify({ spec: { state: 'CANCELLED' } }) });
    const del = await sluice.api(`${path}/runs`, { method: 'DELETE' });
    expect(del.status, await del.clone().text()).toBe(200);
    expect((await sluice.api(`${path}/runs`)).status).toBe(404);
    await nothingLeft(sluice, TARGET_NS, created.metadata.id);
    await eventually(
      async () => (await sluice.platform.deployments.list()).every((d) => d.spec.metadata.id !== created.metadata.id),
      30_000,
      'the FlinkDeployment deleted',
    );
  });

  it('refuses to delete a deployment that is still meant to run, saying what to do', async () => {
    await apiOk(sluice, path, { method: 'POST', body: body('keeps-running', targetId) });
    const del = await sluice.api(`${path}/keeps-running`, { method: 'DELETE' });
    expect(del.status).toBe(409);
    expect(((await del.json()) as { message: string }).message).toMatch(
      /must be CANCELLED before it can be deleted.*PATCH it with \{"spec": \{"state": "CANCELLED"\}\} first/,
    );
  });

  it('deletes a FAILED deployment without leaving anything', async () => {
    const created = await apiOk<{ metadata: { id: string } }>(sluice, path, {
      method: 'POST',
      body: body('fails-then-deleted', targetId, { failing: true }),
    });
    await waitForState(sluice, VNS, 'fails-then-deleted', 'FAILED');
    await apiOk(sluice, `${path}/fails-then-deleted`, { method: 'PATCH', body: JSON.stringify({ spec: { state: 'CANCELLED' } }) });
    await apiOk(sluice, `${path}/fails-then-deleted`, { method: 'DELETE' });
    await nothingLeft(sluice, TARGET_NS, created.metadata.id);
  });
});

/**
 * A step that died while creating a job's objects leaves a job with no state. A cancel that
 * comes before Sluice recovers must stop that job, not drop it (it would run on beside the
 * next one). Driven step by step, without the event source, so the half-created state holds.
 */
describe('a half-created job', () => {
  let sluice: RunningSluice;
  let targetId: string;
  const vns = 'half-created';
  const targetNs = 'half-created-jobs';
  const step = async (name: 'applyPatchSet' | 'deploymentStep') => resync(await eventFunctions[name]!(), sluice.ctx);

  beforeAll(async () => {
    sluice = await startSluice({ events: false });
    ({ targetId } = await team(sluice, vns, targetNs, { withoutEvents: true }));
  });
  afterAll(() => sluice?.stop());

  it('is stopped by a cancel, and nothing of it is left', async () => {
    const b = JSON.parse(body('half', targetId)) as { metadata: Record<string, unknown> };
    b.metadata.namespace = vns;
    const created = await apiOk<{ metadata: { id: string } }>(sluice, `/api/v1/namespaces/${vns}/deployments`, {
      method: 'POST',
      body: JSON.stringify(b),
    });
    await step('applyPatchSet');
    await step('deploymentStep');
    const [job] = await jobsOf(sluice, created.metadata.id);
    expect(job?.status?.state).toBe('STARTING');
    // As a step that died after creating some of the job's objects leaves it: no state, the TaskManagers not made yet.
    await sluice.platform.jobs.replaceStatus({ ...job!, status: {} as never });
    await sluice.kube.objects.delete({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `job-${job!.spec.metadata.id}-taskmanager`, namespace: targetNs },
    });
    expect(
      (await sluice.kube.core.listNamespacedConfigMap({ namespace: targetNs, labelSelector: `deploymentId=${created.metadata.id}` })).items,
    ).toHaveLength(1);

    await apiOk(sluice, `/api/v1/namespaces/${vns}/deployments/half`, {
      method: 'PATCH',
      body: JSON.stringify({ spec: { state: 'CANCELLED' } }),
    });
    await step('applyPatchSet');
    await step('deploymentStep');
    await waitForState(sluice, vns, 'half', 'CANCELLED', 10_000);
    await nothingLeft(sluice, targetNs, created.metadata.id);
    expect((await jobsOf(sluice, created.metadata.id)).map((j) => j.status?.state)).toEqual(['TERMINATED']);
  });
});
