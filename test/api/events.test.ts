import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { vvpProblems } from '../support/vvp-schemas.js';
import { client, eventually, tenant } from '../savepoints/support.js';

type VvpEvent = {
  metadata: { id: string; name: string; namespace: string; deploymentId: string; jobId?: string; createdAt: string };
  spec: { message: string };
};

/** A Deployment's event log through the REST API: VVP's Event shape, filters, isolation. */
describe('events', () => {
  let sluice: RunningSluice;
  const vns = 'events-a';
  const base = `/api/v1/namespaces/${vns}`;
  const events = async (query = ''): Promise<VvpEvent[]> => {
    const res = await sluice.api(`${base}/events${query}`);
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as { items: VvpEvent[] };
    expect(vvpProblems('ResourceListOfEvent', body)).toEqual([]);
    return body.items;
  };

  beforeAll(async () => {
    sluice = await startSluice();
    await tenant(sluice, vns);
  });
  afterAll(() => sluice?.stop());

  it('records a start and a suspend, oldest first, each naming its deployment and job', async () => {
    const api = client(sluice, vns);
    const d = await api.create('logged');
    const running = await api.state('logged', 'RUNNING');
    const jobId = running.status.running!.jobId!;
    const started = await eventually(async () => {
      const items = await events(`?deploymentId=${d.metadata.id}`);
      return items.some((e) => e.metadata.name === 'STATE_TRANSITION_IS_COMPLETED') ? items : undefined;
    }, 'the start recorded');
    expect(started.map((e) => e.metadata.name)).toEqual([
      'STATE_TRANSITION_IS_NEEDED',
      'CREATING_A_NEW_JOB',
      'JOB_SUCCESSFULLY_STARTED',
      'STATE_TRANSITION_IS_COMPLETED',
    ]);
    expect(started.every((e) => e.metadata.deploymentId === d.metadata.id && e.metadata.namespace === vns)).toBe(true);
    expect(started[1]).toMatchObject({ metadata: { jobId }, spec: { message: `Creating job ${jobId} (attempt 1 of 4)` } });
    expect([...started].sort((a, b) => a.metadata.createdAt.localeCompare(b.metadata.createdAt))).toEqual(started);

    await api.patch('logged', { spec: { state: 'SUSPENDED' } });
    await api.state('logged', 'SUSPENDED');
    const suspended = await eventually(async () => {
      const items = await events(`?deploymentId=${d.metadata.id}`);
      return items.at(-1)?.spec.message === 'Transitioned from TRANSITIONING to SUSPENDED' ? items : undefined;
    }, 'the suspend recorded');
    const names = suspended.map((e) => e.metadata.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'CREATING_A_SAVEPOINT_BEFORE_SUSPENSION',
        'SUCCESSFULLY_TRIGGERED_A_SAVEPOINT',
        'FOUND_A_COMPLETED_SAVEPOINT_READY_FOR_SUSPENSION',
        'FOUND_A_JOB_TO_TERMINATE',
      ]),
    );
    // Each decision once, however often the step ran.
    expect(new Set(suspended.map((e) => e.metadata.id)).size).toBe(suspended.length);

    const ofJob = await events(`?jobId=${jobId}`);
    expect(ofJob.length).toBeGreaterThan(3);
    expect(ofJob.every((e) => e.metadata.jobId === jobId)).toBe(true);
    expect((await events()).length).toBe(suspended.length);
  });

  it('answers YAML when asked', async () => {
    const res = await sluice.api(`${base}/events`, { headers: { accept: 'application/yaml' } });
    expect(res.headers.get('content-type')).toMatch(/^application\/yaml/);
    expect(parseYaml(await res.text())).toMatchObject({ kind: 'ResourceList', apiVersion: 'v1', items: expect.any(Array) });
  });

  it('refuses a filter that is not a UUID, and another tenant sees nothing of it', async () => {
    const bad = await sluice.api(`${base}/events?deploymentId=not-a-uuid`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ kind: 'Error', status: 400, message: "deploymentId: 'not-a-uuid' is not a UUID" });
    expect((await sluice.api(`${base}/events?jobId=${'x'.repeat(40)}`)).status).toBe(400);

    await tenant(sluice, 'events-b');
    const mint = await sluice.api('/apitokens/v1/namespaces/events-b/apitokens', {
      method: 'POST',
      body: JSON.stringify({ name: 'namespaces/events-b/apitokens/owner', role: 'owner' }),
    });
    const other = ((await mint.json()) as { apiToken: { secret: string } }).apiToken.secret;
    const res = await sluice.api(`${base}/events`, { token: other });
    expect(res.status).toBe(404);
    expect(
      ((await (await sluice.api('/api/v1/namespaces/events-b/events', { token: other })).json()) as { items: unknown[] }).items,
    ).toEqual([]);
  });
});
