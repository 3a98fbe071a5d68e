import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { vvpProblems } from '../support/vvp-schemas.js';
import { DIR, client, eventually, savepointTriggers, tenant } from './support.js';

// Response bodies are navigated freely in assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = Record<string, any>;

/** POST /savepoints with VVP's body: a savepoint of the running job, which keeps running. */
describe('savepoints on request', () => {
  let sluice: RunningSluice;
  let namespace = '';
  let api: ReturnType<typeof client>;
  const base = '/api/v1/namespaces/on-request';
  const post = (body: unknown) => sluice.api(`${base}/savepoints`, { method: 'POST', body: JSON.stringify(body) });

  beforeAll(async () => {
    sluice = await startSluice();
    ({ namespace } = await tenant(sluice, 'on-request'));
    api = client(sluice, 'on-request');
  });
  afterAll(() => sluice?.stop());

  it("takes a savepoint of the running job, VVP's shape, and leaves the job running", async () => {
    const d = await api.create('asked', { upgrade: 'STATELESS' });
    const running = await api.state('asked', 'RUNNING');
    const jobId = running.status.running!.jobId!;

    const res = await post({ metadata: { deploymentId: d.metadata.id, annotations: { reason: 'before the release' } } });
    expect(res.status, await res.clone().text()).toBe(201);
    const started = (await res.json()) as Body;
    expect(vvpProblems('Savepoint', started)).toEqual([]);
    expect(started).toMatchObject({
      kind: 'Savepoint',
      metadata: { deploymentId: d.metadata.id, jobId, origin: 'USER_REQUEST', annotations: { reason: 'before the release' } },
      status: { state: 'STARTED' },
    });

    const done = await eventually(async () => {
      const sp = (await (await sluice.api(`${base}/savepoints/${started.metadata.id}`)).json()) as Body;
      return sp.status.state === 'COMPLETED' ? sp : undefined;
    }, 'the savepoint COMPLETED');
    expect(vvpProblems('Savepoint', done)).toEqual([]);
    expect(done.spec.savepointLocation).toMatch(new RegExp(`^${DIR}/savepoint-`));
    // The job was not stopped: the same one runs, and Flink was asked for a savepoint, not a stop.
    expect((await api.get('asked')).status).toMatchObject({ state: 'RUNNING', running: { jobId } });
    const job = (await (await sluice.api(`${base}/jobs/${jobId}`)).json()) as Body;
    expect(vvpProblems('Job', job)).toEqual([]);
    expect(job).toMatchObject({
      metadata: { id: jobId, deploymentId: d.metadata.id, deploymentName: 'asked' },
      spec: {
        parallelism: 1,
        artifact: { kind: 'JAR' },
        flinkConfiguration: { 'state.savepoints.dir': DIR },
        deploymentTarget: { kubernetes: { namespace } },
      },
      status: { state: 'STARTED', started: { flinkJobId: jobId.replace(/-/g, '') } },
    });
    expect(job.metadata.terminatedAt).toBeUndefined();
    expect(
      vvpProblems('ResourceListOfJob', (await (await sluice.api(`${base}/jobs?deploymentId=${d.metadata.id}`)).json()) as Body),
    ).toEqual([]);
    const triggers = await savepointTriggers(sluice, namespace, jobId);
    expect(triggers.map((e) => e.message).join('\n')).toMatch(/savepoint/);

    // Filtered by job, and by deployment; a later start restores from it (LATEST_SAVEPOINT).
    const byJob = (await (await sluice.api(`${base}/savepoints?jobId=${jobId}`)).json()) as Body;
    expect(vvpProblems('ResourceListOfSavepoint', byJob)).toEqual([]);
    expect(byJob.items.map((s: Body) => s.metadata.id)).toEqual([done.metadata.id]);
    const other = (await (await sluice.api(`${base}/savepoints?jobId=5f0c1b2a-0000-4000-8000-000000000000`)).json()) as Body;
    expect(other.items).toEqual([]);

    // Asking twice while it runs: two savepoints, each taken once.
    const [a, b] = await Promise.all([
      post({ metadata: { deploymentId: d.metadata.id } }),
      post({ metadata: { deploymentId: d.metadata.id } }),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    const ids = [((await a.json()) as Body).metadata.id, ((await b.json()) as Body).metadata.id];
    for (const id of ids) {
      await eventually(
        async () =>
          ((await (await sluice.api(`${base}/savepoints/${id}`)).json()) as Body).status.state === 'COMPLETED' ? true : undefined,
        `savepoint ${id}`,
      );
    }
    expect((await api.get('asked')).status.running!.jobId).toBe(jobId);

    // Cancelled: the job ends, with its end time; a savepoint asked for now is refused.
    await api.patch('asked', { spec: { state: 'CANCELLED' } });
    await api.state('asked', 'CANCELLED');
    const ended = (await (await sluice.api(`${base}/jobs/${jobId}`)).json()) as Body;
    expect(vvpProblems('Job', ended)).toEqual([]);
    expect(ended.status.state).toBe('TERMINATED');
    expect(Date.parse(ended.metadata.terminatedAt)).toBeGreaterThanOrEqual(Date.parse(job.metadata.createdAt));
    expect((await post({ metadata: { deploymentId: d.metadata.id } })).status).toBe(409);
  });

  it('refuses what cannot be taken, with a 4xx naming why, and records nothing', async () => {
    const idle = await api.create('idle', { state: 'CANCELLED' });
    await api.state('idle', 'CANCELLED');
    const before = (await api.savepoints()).length;
    const cases: [unknown, number, RegExp][] = [
      [{ metadata: {} }, 400, /metadata\.deploymentId: required/],
      [{ metadata: { deploymentId: 'nope' } }, 400, /metadata\.deploymentId: must be a UUID/],
      [{ metadata: { deploymentId: '5f0c1b2a-0000-4000-8000-000000000000' } }, 422, /deployment .* not found in namespace on-request/],
      [{ metadata: { deploymentId: idle.metadata.id } }, 409, /deployment idle has no running job/],
      [{ metadata: { deploymentId: idle.metadata.id, origin: 'SUSPEND' } }, 400, /metadata\.origin/],
      [
        { metadata: { deploymentId: idle.metadata.id }, spec: { deploymentId: idle.metadata.id } },
        400,
        /spec\.deploymentId: unknown field/,
      ],
    ];
    for (const [body, status, message] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(((await res.json()) as Body).message, JSON.stringify(body)).toMatch(message);
    }
    const noDir = await api.create('no-dir', { upgrade: 'STATELESS', flinkConfiguration: {} });
    await api.state('no-dir', 'RUNNING');
    const res = await post({ metadata: { deploymentId: noDir.metadata.id } });
    expect(res.status).toBe(422);
    expect(((await res.json()) as Body).message).toMatch(/state\.savepoints\.dir/);
    expect(await api.savepoints()).toHaveLength(before);
  });
});
