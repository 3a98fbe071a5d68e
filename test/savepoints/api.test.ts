import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { type VvpSavepoint, client, deploymentBody, jobManagerArgs, tenant } from './support.js';

/** The Savepoints REST API, and the restore strategies choosing among imported savepoints. */
describe('savepoints API and restore strategies', () => {
  let sluice: RunningSluice;
  let namespace = '';
  let api: ReturnType<typeof client>;
  let other: ReturnType<typeof client>;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    sluice = await startSluice();
    ({ namespace } = await tenant(sluice, 'team-a'));
    await tenant(sluice, 'team-b');
    api = client(sluice, 'team-a');
    other = client(sluice, 'team-b');
    for (const role of ['viewer', 'editor']) {
      const res = await sluice.api('/apitokens/v1/namespaces/team-a/apitokens', {
        method: 'POST',
        body: JSON.stringify({ name: `namespaces/team-a/apitokens/${role}`, role }),
      });
      expect(res.status, await res.clone().text()).toBe(201);
      tokens[role] = ((await res.json()) as { apiToken: { secret: string } }).apiToken.secret;
    }
  });
  afterAll(() => sluice?.stop());

  const imported = async (body: unknown, status = 201): Promise<VvpSavepoint> => {
    const res = await api.importSavepoint(body);
    expect(res.status, await res.clone().text()).toBe(status);
    return (await res.json()) as VvpSavepoint;
  };

  it('imports a location: COMPLETED, origin COPIED unless given, readable by id and in the list', async () => {
    const sp = await imported({ spec: { savepointLocation: 's3://elsewhere/savepoint-abc123' } });
    expect(sp).toMatchObject({
      kind: 'Savepoint',
      apiVersion: 'v1',
      metadata: { namespace: 'team-a', origin: 'COPIED', resourceVersion: expect.any(Number) },
      spec: { savepointLocation: 's3://elsewhere/savepoint-abc123' },
      status: { state: 'COMPLETED' },
    });
    expect(sp.metadata.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sp).not.toHaveProperty('status.sluice');
    expect(await api.savepoint(sp.metadata.id)).toEqual(sp);
    expect((await api.savepoints()).map((s) => s.metadata.id)).toContain(sp.metadata.id);
    // YAML in, as for every resource.
    const yaml = await sluice.api('/api/v1/namespaces/team-a/savepoints', {
      method: 'POST',
      yaml: 'kind: Savepoint\napiVersion: v1\nmetadata:\n  origin: USER_REQUEST\nspec:\n  savepointLocation: hdfs:///sp/1\n  flinkSavepointId: abc\n',
    });
    expect(yaml.status, await yaml.clone().text()).toBe(201);
    expect(await yaml.json()).toMatchObject({
      metadata: { origin: 'USER_REQUEST' },
      spec: { savepointLocation: 'hdfs:///sp/1', flinkSavepointId: 'abc' },
      status: { state: 'COMPLETED' },
    });
  });

  it('refuses bad input with a 4xx naming the field, and changes nothing', async () => {
    const before = (await api.savepoints()).length;
    const cases: [unknown, number, RegExp][] = [
      [{ spec: {} }, 400, /metadata\.deploymentId: required/],
      [{ spec: { savepointLocation: '  ' } }, 400, /spec\.savepointLocation.*empty/],
      [{ metadata: { origin: 'BACKUP' }, spec: { savepointLocation: 's3://x' } }, 400, /metadata\.origin/],
      [{ metadata: { deploymentId: 'not-a-uuid' }, spec: { savepointLocation: 's3://x' } }, 400, /metadata\.deploymentId/],
      [{ spec: { savepointLocation: 's3://x', savepointOrigin: 'COPIED' } }, 400, /spec\.savepointOrigin: unknown field/],
      [{ spec: { savepointLocation: 's3://x', bogus: 1 } }, 400, /bogus/],
      [{ metadata: { namespace: 'team-b' }, spec: { savepointLocation: 's3://x' } }, 400, /metadata\.namespace 'team-b' does not match/],
      [
        { metadata: { deploymentId: '5f0c1b2a-0000-4000-8000-000000000000' }, spec: { savepointLocation: 's3://x' } },
        422,
        /metadata\.deploymentId: deployment .* not found in namespace team-a/,
      ],
      [
        { metadata: { jobId: '5f0c1b2a-0000-4000-8000-000000000000' }, spec: { savepointLocation: 's3://x' } },
        422,
        /metadata\.jobId: job .* not found/,
      ],
    ];
    for (const [body, status, message] of cases) {
      const res = await api.importSavepoint(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(((await res.json()) as { message: string }).message, JSON.stringify(body)).toMatch(message);
    }
    expect(await api.savepoints()).toHaveLength(before);
  });

  it("refuses a deployment of another vNamespace, and keeps each vNamespace's savepoints to itself", async () => {
    const theirs = await other.create('theirs', { state: 'CANCELLED' });
    const res = await api.importSavepoint({ metadata: { deploymentId: theirs.metadata.id }, spec: { savepointLocation: 's3://x' } });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toMatch(/its own namespace/);
    const mine = await imported({ spec: { savepointLocation: 's3://mine' } });
    expect((await sluice.api(`/api/v1/namespaces/team-b/savepoints/${mine.metadata.id}`)).status).toBe(404);
    expect((await other.savepoints()).map((s) => s.metadata.id)).not.toContain(mine.metadata.id);
    expect((await sluice.api('/api/v1/namespaces/team-a/savepoints/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await sluice.api('/api/v1/namespaces/team-a/savepoints/not-an-id')).status).toBe(404);
  });

  it('authorizes like deployments: viewers read, editors import, other tenants see nothing', async () => {
    const list = await sluice.api('/api/v1/namespaces/team-a/savepoints', { token: tokens.viewer! });
    expect(list.status).toBe(200);
    const denied = await api.importSavepoint({ spec: { savepointLocation: 's3://v' } }, tokens.viewer);
    expect(denied.status).toBe(403);
    expect((await api.importSavepoint({ spec: { savepointLocation: 's3://e' } }, tokens.editor)).status).toBe(201);
    expect((await sluice.api('/api/v1/namespaces/team-b/savepoints', { token: tokens.editor! })).status).toBe(404);
    expect((await sluice.api('/api/v1/namespaces/team-a/savepoints', { token: null })).status).toBe(401);
  });

  it('restores per strategy: LATEST_SAVEPOINT skips retained checkpoints, LATEST_STATE takes them, NONE nothing', async () => {
    const d = await api.create('restorer', { state: 'CANCELLED', upgrade: 'STATELESS', restore: { kind: 'LATEST_SAVEPOINT' } });
    await api.state('restorer', 'CANCELLED');
    const copied = await imported({ metadata: { deploymentId: d.metadata.id }, spec: { savepointLocation: 's3://elsewhere/copied' } });
    await new Promise((r) => setTimeout(r, 20));
    const checkpoint = await imported({
      metadata: { deploymentId: d.metadata.id, origin: 'RETAINED_CHECKPOINT' },
      spec: { savepointLocation: 's3://elsewhere/chk-42' },
    });
    expect((await api.savepoints(d.metadata.id)).map((s) => s.metadata.id)).toEqual([copied.metadata.id, checkpoint.metadata.id]);

    const startWith = async (restore: { kind: string }) => {
      await api.patch('restorer', { spec: { state: 'RUNNING', restoreStrategy: restore } });
      const jobId = (await api.state('restorer', 'RUNNING')).status.running!.jobId!;
      const job = await api.job(jobId);
      const args = await jobManagerArgs(sluice, namespace, jobId);
      await api.patch('restorer', { spec: { state: 'CANCELLED' } });
      await api.state('restorer', 'CANCELLED');
      return { restore: { savepointLocation: job.spec.savepointLocation, allowNonRestoredState: job.spec.allowNonRestoredState }, args };
    };
    const latestSavepoint = await startWith({ kind: 'LATEST_SAVEPOINT' });
    expect(latestSavepoint.restore).toEqual({ savepointLocation: 's3://elsewhere/copied', allowNonRestoredState: false });
    expect(latestSavepoint.args).toEqual(expect.arrayContaining(['--fromSavepoint', 's3://elsewhere/copied']));
    const latestState = await startWith({ kind: 'LATEST_STATE' });
    expect(latestState.restore).toEqual({ savepointLocation: 's3://elsewhere/chk-42', allowNonRestoredState: false });
    expect(latestState.args).toEqual(expect.arrayContaining(['--fromSavepoint', 's3://elsewhere/chk-42']));
    const none = await startWith({ kind: 'NONE' });
    expect(none.restore).toEqual({ savepointLocation: undefined, allowNonRestoredState: undefined });
    expect(none.args).not.toContain('--fromSavepoint');
  });

  it('refuses STATEFUL with restore strategy NONE, saying why', async () => {
    const body = deploymentBody('bad', { upgrade: 'STATEFUL', restore: { kind: 'NONE' } });
    const res = await sluice.api('/api/v1/namespaces/team-a/deployments', { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(
      /spec\.restoreStrategy\.kind: NONE cannot be combined with upgradeStrategy\.kind STATEFUL.*use LATEST_SAVEPOINT or LATEST_STATE/,
    );
  });
});
