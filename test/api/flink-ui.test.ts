import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { client, tenant } from '../savepoints/support.js';

/**
 * The Flink UI through Sluice, against the pod simulator's Flink REST stand-in: the job's
 * JobManager answers under /flink-ui/v1/namespaces/{ns}/jobs/{jobId}/ for members of the
 * vNamespace only; the console's sign-in cookie works as the token does.
 */
describe('the Flink UI proxy', () => {
  let sluice: RunningSluice;
  let jobId = '';
  const tokens: Record<string, string> = {};
  const ui = (path: string, init: RequestInit & { token?: string | null } = {}) =>
    sluice.api(`/flink-ui/v1/namespaces/ui-a/jobs/${jobId}/${path}`, init);

  beforeAll(async () => {
    sluice = await startSluice();
    await tenant(sluice, 'ui-a');
    await tenant(sluice, 'ui-b');
    for (const [vns, role] of [
      ['ui-a', 'viewer'],
      ['ui-b', 'owner'],
    ] as const) {
      const res = await sluice.api(`/apitokens/v1/namespaces/${vns}/apitokens`, {
        method: 'POST',
        body: JSON.stringify({ name: `namespaces/${vns}/apitokens/t`, role }),
      });
      tokens[vns] = ((await res.json()) as { apiToken: { secret: string } }).apiToken.secret;
    }
    const api = client(sluice, 'ui-a');
    await api.create('proxied');
    jobId = (await api.state('proxied', 'RUNNING')).status.running!.jobId!;
  }, 90_000);
  afterAll(() => sluice?.stop());

  it("serves the job's JobManager: /overview and /jobs/<flink id>, to a viewer of its vNamespace", async () => {
    const overview = await ui('overview', { token: tokens['ui-a'] });
    expect(overview.status).toBe(200);
    expect(await overview.json()).toMatchObject({ 'jobs-running': 1 });
    const job = await ui(`jobs/${jobId.replace(/-/g, '')}`, { token: tokens['ui-a'] });
    expect(await job.json()).toMatchObject({ jid: jobId.replace(/-/g, ''), state: 'RUNNING' });
  });

  it('refuses another tenant (404, as if nothing were there), no token (401), and a viewer cancelling (403)', async () => {
    expect((await ui('overview', { token: tokens['ui-b'] })).status).toBe(404);
    expect((await ui('overview', { token: null })).status).toBe(401);
    expect((await ui(`jobs/${jobId.replace(/-/g, '')}?mode=cancel`, { method: 'PATCH', token: tokens['ui-a'] })).status).toBe(403);
    expect((await sluice.api(`/flink-ui/v1/namespaces/ui-a/jobs/00000000-0000-4000-8000-000000000000/overview`)).status).toBe(404);
  });

  it("takes the console's sign-in as a cookie scoped to the proxy, and redirects the job's root to its trailing slash", async () => {
    const session = await sluice.api('/flink-ui/v1/session', { method: 'POST', token: tokens['ui-a'] });
    expect(session.status).toBe(204);
    const cookie = session.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^sluice_token=[^;]+;.*Path=\/flink-ui\/v1.*HttpOnly/i);
    const viaCookie = await fetch(`${sluice.url}/flink-ui/v1/namespaces/ui-a/jobs/${jobId}/overview`, {
      headers: { cookie: cookie.split(';')[0]! },
    });
    expect(viaCookie.status).toBe(200);
    const root = await fetch(`${sluice.url}/flink-ui/v1/namespaces/ui-a/jobs/${jobId}`, {
      headers: { cookie: cookie.split(';')[0]! },
      redirect: 'manual',
    });
    expect(root.status).toBe(301);
    expect(root.headers.get('location')).toBe(`/flink-ui/v1/namespaces/ui-a/jobs/${jobId}/`);
  });
});
