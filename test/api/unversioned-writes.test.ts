import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOk, team } from '../faults/support.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { topSpeedWindowingBody } from '../support/top-speed-windowing.js';

type Deployment = { metadata: { resourceVersion: number; labels: Record<string, string> }; status?: { state?: string } };

/**
 * A write that names no `metadata.resourceVersion` means "apply to what is current": it never
 * conflicts with Sluice's own status writes or with other such writes. Only a stale version
 * that the client named is a 409.
 */
describe('writes that name no version', () => {
  let sluice: RunningSluice;
  const vns = 'unversioned';
  const path = `/api/v1/namespaces/${vns}/deployments`;

  beforeAll(async () => {
    sluice = await startSluice();
    const { targetId } = await team(sluice, vns, 'unversioned-jobs');
    await apiOk(sluice, path, { method: 'POST', body: JSON.stringify(topSpeedWindowingBody(vns, 'busy', targetId)) });
  });
  afterAll(() => sluice?.stop());

  const patch = (body: unknown) => sluice.api(`${path}/busy`, { method: 'PATCH', body: JSON.stringify(body) });

  it('one client, one PATCH at a time, while Sluice writes status: every one 200', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      // Each parallelism change is an upgrade: Sluice writes status throughout.
      const res = await patch({ metadata: { labels: { step: String(i) } }, spec: { template: { spec: { parallelism: 1 + (i % 2) } } } });
      statuses.push(res.status);
    }
    expect(statuses).toEqual(Array(30).fill(200));
  }, 180_000);

  it('20 concurrent clients: every one 200, and every write is kept', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => patch({ metadata: { labels: { [`client-${i}`]: 'yes' } } })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const d = (await (await sluice.api(`${path}/busy`)).json()) as Deployment;
    for (let i = 0; i < 20; i++) expect(d.metadata.labels[`client-${i}`]).toBe('yes');
  });

  it('a version the client names: the current one is applied even after status writes; a stale one is 409', async () => {
    const d = (await (await sluice.api(`${path}/busy`)).json()) as Deployment;
    const current = await patch({
      metadata: { resourceVersion: d.metadata.resourceVersion, labels: { named: 'current' } },
      spec: { template: { spec: { parallelism: 3 } } },
    });
    expect(current.status, await current.clone().text()).toBe(200);
    const stale = await patch({ metadata: { resourceVersion: d.metadata.resourceVersion, labels: { named: 'stale' } } });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { message: string }).message).toMatch(/resourceVersion \d+ is stale/);
  });
});
