import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, deleteTestNamespace, eventually } from '../bed/env.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { topSpeedWindowingBody } from '../support/top-speed-windowing.js';

/**
 * Single-process mode's event source behaves like Knative's ApiServerSource adapter: a
 * (re)started watch sends nothing for what changed while none was open. What repairs such a
 * change is the resync that follows every start of the events (ARCHITECTURE.md, "Missed
 * events"); the Knative side is test/knative/real-eventing.test.ts.
 */
describe('a change made while the event source was stopped (single-process mode)', () => {
  let sluice: RunningSluice;
  let jobsNs = '';
  const vns = 'missed-events';

  beforeAll(async () => {
    jobsNs = await createTestNamespace('missed-jobs');
    sluice = await startSluice();
    expect(
      (await sluice.api('/namespaces/v1/namespaces', { method: 'POST', body: JSON.stringify({ name: `namespaces/${vns}` }) })).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await sluice?.stop();
    await deleteTestNamespace(jobsNs);
  });

  const state = async (name: string) =>
    ((await (await sluice.api(`/api/v1/namespaces/${vns}/deployments/${name}`)).json()) as { status?: { state?: string } }).status?.state;

  it('is repaired by the resync that follows the restart, not by events for it', async () => {
    const t = await sluice.api(`/api/v1/namespaces/${vns}/deployment-targets`, {
      method: 'POST',
      body: JSON.stringify({ metadata: { name: 'missed-target' }, spec: { kubernetes: { namespace: jobsNs } } }),
    });
    expect(t.status, await t.clone().text()).toBe(201);
    const targetId = ((await t.json()) as { metadata: { id: string } }).metadata.id;
    const d = await sluice.api(`/api/v1/namespaces/${vns}/deployments`, {
      method: 'POST',
      body: JSON.stringify(topSpeedWindowingBody(vns, 'missed', targetId)),
    });
    expect(d.status, await d.clone().text()).toBe(201);
    await eventually(async () => (await state('missed')) === 'RUNNING', 30_000, 'missed RUNNING');

    sluice.runner.stop();
    expect(sluice.runner.watching).toBe(0);
    const cancel = await sluice.api(`/api/v1/namespaces/${vns}/deployments/missed`, {
      method: 'PATCH',
      body: JSON.stringify({ spec: { state: 'CANCELLED' } }),
    });
    expect(cancel.status).toBe(200);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await state('missed'), 'nothing acts while no watch is open').toBe('RUNNING');

    // The new watches send nothing for the change (as ApiServerSource's adapter does not);
    // the resync after they start repairs it.
    await sluice.runner.start();
    await eventually(async () => (await state('missed')) === 'CANCELLED', 30_000, 'missed CANCELLED');
    const pods = await sluice.kube.core.listNamespacedPod({ namespace: jobsNs, labelSelector: 'app=flink-job' });
    await eventually(
      async () => (await sluice.kube.core.listNamespacedPod({ namespace: jobsNs, labelSelector: 'app=flink-job' })).items.length === 0,
      30_000,
      `the job's ${pods.items.length} pods gone`,
    );
  });
});
