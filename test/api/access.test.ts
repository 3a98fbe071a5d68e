import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSluice, startSluice } from '../support/sluice.js';

/** VVP's permission matrix with real tokens over real HTTP. */
describe('access control', () => {
  let sluice: RunningSluice;
  const tok: Record<string, string> = {};
  const mint = async (vns: string, name: string, role: string, token?: string) => {
    const res = await sluice.api(`/apitokens/v1/namespaces/${vns}/apitokens`, {
      method: 'POST',
      token,
      body: JSON.stringify({ name: `namespaces/${vns}/apitokens/${name}`, role }),
    });
    return res;
  };
  const deployment = (name: string) =>
    JSON.stringify({
      metadata: { name },
      spec: {
        state: 'CANCELLED',
        deploymentTargetName: 'jobs',
        template: { spec: { artifact: { kind: 'JAR', jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar' } } },
      },
    });

  beforeAll(async () => {
    sluice = await startSluice({ events: false });
    for (const vns of ['team-a', 'team-b']) {
      expect(
        (await sluice.api('/namespaces/v1/namespaces', { method: 'POST', body: JSON.stringify({ name: `namespaces/${vns}` }) })).status,
      ).toBe(201);
    }
    for (const role of ['viewer', 'editor', 'owner']) {
      const res = await mint('team-a', role, role);
      expect(res.status).toBe(201);
      tok[role] = ((await res.json()) as { apiToken: { secret: string } }).apiToken.secret;
    }
    tok.bOwner = ((await (await mint('team-b', 'owner', 'owner')).json()) as { apiToken: { secret: string } }).apiToken.secret;
    tok.admin = ((await (await mint('team-a', 'admin', 'admin')).json()) as { apiToken: { secret: string } }).apiToken.secret;
    expect(
      (
        await sluice.api('/api/v1/namespaces/team-a/deployment-targets', {
          method: 'POST',
          token: tok.owner,
          body: JSON.stringify({ metadata: { name: 'jobs' }, spec: { kubernetes: { namespace: 'team-a-jobs' } } }),
        })
      ).status,
    ).toBe(201);
  });
  afterAll(() => sluice?.stop());

  it('answers 401 without a valid token, saying how to authenticate', async () => {
    for (const token of [null, 'not-a-token', `${tok.owner}x`]) {
      const res = await sluice.api('/api/v1/namespaces/team-a/deployments', { token });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/Bearer/);
      expect(((await res.json()) as { message: string }).message).toMatch(/Authorization: Bearer/);
    }
  });

  it.each([
    ['viewer', 'GET', '/api/v1/namespaces/team-a/deployments', undefined, 200],
    ['viewer', 'POST', '/api/v1/namespaces/team-a/deployments', deployment('by-viewer'), 403],
    ['editor', 'POST', '/api/v1/namespaces/team-a/deployments', deployment('by-editor'), 201],
    ['viewer', 'GET', '/api/v1/namespaces/team-a/deployment-targets', undefined, 200],
    ['editor', 'POST', '/api/v1/namespaces/team-a/deployment-targets', JSON.stringify({ metadata: { name: 'x' }, spec: {} }), 403],
    ['owner', 'POST', '/api/v1/namespaces/team-a/deployments', deployment('by-owner'), 201],
    ['editor', 'GET', '/apitokens/v1/namespaces/team-a/apitokens', undefined, 403],
    ['owner', 'GET', '/apitokens/v1/namespaces/team-a/apitokens', undefined, 200],
    ['owner', 'POST', '/namespaces/v1/namespaces', JSON.stringify({ name: 'namespaces/by-owner' }), 403],
    ['admin', 'POST', '/namespaces/v1/namespaces', JSON.stringify({ name: 'namespaces/by-admin' }), 201],
    ['admin', 'GET', '/api/v1/namespaces/team-a/deployments', undefined, 404],
    ['bOwner', 'GET', '/api/v1/namespaces/team-a/deployments', undefined, 404],
    ['bOwner', 'GET', '/api/v1/namespaces/team-a/deployments/by-editor', undefined, 404],
    ['bOwner', 'POST', '/api/v1/namespaces/team-a/deployments', deployment('by-b'), 404],
    ['bOwner', 'GET', '/namespaces/v1/namespaces/team-a', undefined, 404],
    ['bOwner', 'GET', '/apitokens/v1/namespaces/team-a/apitokens', undefined, 404],
  ])('%s: %s %s → %i', async (who, method, path, body, status) => {
    const res = await sluice.api(path, { method, token: tok[who], ...(body ? { body } : {}) });
    expect(res.status, await res.clone().text()).toBe(status);
  });

  it("answers another tenant's resources exactly like missing ones (no leak)", async () => {
    const missing = await sluice.api('/api/v1/namespaces/no-such-ns/deployments', { token: tok.bOwner });
    const other = await sluice.api('/api/v1/namespaces/team-a/deployments', { token: tok.bOwner });
    expect(other.status).toBe(missing.status);
    expect(((await other.json()) as { message: string }).message).toBe('namespace team-a not found');
    const list = (await (await sluice.api('/namespaces/v1/namespaces', { token: tok.bOwner })).json()) as {
      namespaces: { name: string }[];
    };
    expect(list.namespaces.map((n) => n.name)).toEqual(['namespaces/team-b']);
  });

  it('lets only owners mint tokens, only the superuser admin tokens, and shows a secret once', async () => {
    expect((await mint('team-a', 'x1', 'viewer', tok.editor)).status).toBe(403);
    expect((await mint('team-a', 'x2', 'admin', tok.owner)).status).toBe(403);
    const res = await mint('team-a', 'ci', 'editor', tok.owner);
    expect(res.status).toBe(201);
    const created = (await res.json()) as { apiToken: { name: string; role: string; secret: string } };
    expect(created.apiToken).toMatchObject({
      name: 'namespaces/team-a/apitokens/ci',
      role: 'editor',
      secret: expect.stringMatching(/^sluice_/),
    });
    const read = (await (await sluice.api('/apitokens/v1/namespaces/team-a/apitokens/ci', { token: tok.owner })).json()) as {
      apiToken: Record<string, unknown>;
    };
    expect(read.apiToken.secret).toBeUndefined();
    expect((await mint('team-a', 'ci', 'viewer', tok.owner)).status).toBe(409);
    // Stored hashed: the secret appears in no Secret in the platform namespace.
    const secrets = await sluice.kube.core.listNamespacedSecret({ namespace: sluice.ctx.settings.platformNamespace });
    expect(JSON.stringify(secrets.items)).not.toContain(created.apiToken.secret);
    expect(JSON.stringify(secrets.items)).not.toContain(Buffer.from(created.apiToken.secret).toString('base64'));
    // Revoked: rejected at once.
    expect((await sluice.api('/api/v1/namespaces/team-a/deployments', { token: created.apiToken.secret })).status).toBe(200);
    expect((await sluice.api('/apitokens/v1/namespaces/team-a/apitokens/ci', { method: 'DELETE', token: tok.owner })).status).toBe(200);
    expect((await sluice.api('/api/v1/namespaces/team-a/deployments', { token: created.apiToken.secret })).status).toBe(401);
  });

  it('stores nothing for a refused request', async () => {
    const list = async () =>
      (
        (await (await sluice.api('/api/v1/namespaces/team-a/deployments', { token: tok.owner })).json()) as {
          items: { metadata: { name: string } }[];
        }
      ).items
        .map((d) => d.metadata.name)
        .sort();
    expect(await list()).toEqual(['by-editor', 'by-owner']);
  });
});
