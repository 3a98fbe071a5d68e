import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { vvpProblems } from '../support/vvp-schemas.js';
import { client, tenant } from '../savepoints/support.js';

// Response bodies are navigated freely in assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = Record<string, any>;

/** VVP 2.1's REST API as a VVP client uses it: shapes validated against VVP's own Swagger definitions. */
describe('VVP API compatibility', () => {
  let sluice: RunningSluice;
  const vns = 'vvp-compat';
  const base = `/api/v1/namespaces/${vns}`;
  const ok = async (res: Response, status = 200): Promise<Body> => {
    expect(res.status, await res.clone().text()).toBe(status);
    return (await res.json()) as Body;
  };
  /** An unversioned PATCH: it never conflicts with Sluice's own status writes, so it is sent once. */
  const patch = (path: string, body: unknown): Promise<Response> => sluice.api(path, { method: 'PATCH', body: JSON.stringify(body) });
  const valid = (definition: string, value: unknown) =>
    expect(vvpProblems(definition, value), `${definition}: ${JSON.stringify(value)}`).toEqual([]);

  beforeAll(async () => {
    sluice = await startSluice();
    await tenant(sluice, vns);
  });
  afterAll(() => sluice?.stop());

  it('answers every error with one shape, {kind: Error, status, message}, an unknown path included', async () => {
    const cases: [string, RequestInit & { token?: string | null }, number][] = [
      ['/api/v1/no-such-thing', {}, 404],
      ['/no/such/path', { token: null }, 401],
      ['/no/such/path', {}, 404],
      [`${base}/deployments/missing`, {}, 404],
      [`${base}/deployments`, { token: null }, 401],
      [`${base}/deployments`, { method: 'POST', body: '{"metadata": {}}' }, 400],
      [`${base}/deployments`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } }, 415],
    ];
    for (const [path, init, status] of cases) {
      const res = await sluice.api(path, init);
      expect(res.status, path).toBe(status);
      expect(await res.json(), path).toEqual({ kind: 'Error', status, message: expect.stringMatching(/\w/) });
    }
  });

  it('negotiates Accept with q-values', async () => {
    const type = async (accept: string) =>
      (await sluice.api(`${base}/deployments`, { headers: { accept } })).headers.get('content-type') ?? '';
    expect(await type('application/yaml;q=0.5, application/json;q=0.9')).toMatch(/^application\/json/);
    expect(await type('application/json;q=0.1, application/yaml')).toMatch(/^application\/yaml/);
    expect(await type('application/yaml')).toMatch(/^application\/yaml/);
    expect(await type('*/*')).toMatch(/^application\/json/);
    expect(await type('text/html')).toMatch(/^application\/json/);
    const res = await sluice.api(`${base}/deployments`, { headers: { accept: 'text/yaml' } });
    expect(parseYaml(await res.text())).toMatchObject({ kind: 'ResourceList', items: [] });
  });

  it("creates a Deployment with VVP's defaults filled in and a status.state at once", async () => {
    const created = await ok(
      await sluice.api(`${base}/deployments`, {
        method: 'POST',
        body: JSON.stringify({
          metadata: { name: 'minimal', labels: { team: 'a', env: 'prod' } },
          spec: {
            state: 'CANCELLED',
            deploymentTargetName: 'target',
            template: { spec: { artifact: { kind: 'JAR', jarUri: 'file:///x.jar' } } },
          },
        }),
      }),
      201,
    );
    valid('Deployment', created);
    expect(created.status).toEqual({ state: 'CANCELLED' });
    expect(created.spec).toMatchObject({
      maxJobCreationAttempts: 4,
      maxSavepointCreationAttempts: 4,
      upgradeStrategy: { kind: 'STATELESS' },
      restoreStrategy: { kind: 'LATEST_SAVEPOINT', allowNonRestoredState: false },
      template: {
        spec: {
          parallelism: 1,
          logging: { loggingProfile: 'default', log4jLoggers: { '': 'INFO' } },
        },
      },
    });
    // What the request gives wins over a default.
    const patched = await ok(
      await patch(`${base}/deployments/minimal`, { spec: { maxJobCreationAttempts: 2, template: { spec: { parallelism: 3 } } } }),
    );
    expect(patched.spec).toMatchObject({
      maxJobCreationAttempts: 2,
      template: { spec: { parallelism: 3, logging: { loggingProfile: 'default' } } },
    });
    const running = await client(sluice, vns).create('running-one', { state: 'RUNNING' });
    expect(running.status.state).toBe('TRANSITIONING');
  });

  it('filters the deployment list by labelSelector, and refuses a malformed one', async () => {
    await ok(
      await sluice.api(`${base}/deployments`, {
        method: 'POST',
        body: JSON.stringify({
          metadata: { name: 'labelled-dev', labels: { team: 'a', env: 'dev' } },
          spec: {
            state: 'CANCELLED',
            deploymentTargetName: 'target',
            template: { spec: { artifact: { kind: 'JAR', jarUri: 'file:///x.jar' } } },
          },
        }),
      }),
      201,
    );
    const names = async (selector: string) =>
      ((await ok(await sluice.api(`${base}/deployments?labelSelector=${encodeURIComponent(selector)}`))).items as Body[])
        .map((d) => d.metadata.name)
        .sort();
    expect(await names('team=a')).toEqual(['labelled-dev', 'minimal']);
    expect(await names('env=prod')).toEqual(['minimal']);
    expect(await names('env in (dev,test),team')).toEqual(['labelled-dev']);
    expect(await names('!team')).toEqual(['running-one']);
    const list = await ok(await sluice.api(`${base}/deployments`));
    valid('ResourceListOfDeployment', list);
    const bad = await sluice.api(`${base}/deployments?labelSelector=${encodeURIComponent('team in (a')}`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Body).message).toMatch(/labelSelector/);
  });

  it('answers GET /api/v1/status/system-info as VVP does, to a valid token only', async () => {
    const info = await ok(await sluice.api('/api/v1/status/system-info'));
    valid('SystemInformation', info);
    expect(info).toMatchObject({
      kind: 'SystemInformation',
      apiVersion: 'v1',
      status: {
        revisionInformation: { buildVersion: expect.stringMatching(/^\d+\.\d+\.\d+/) },
        resourceQuota: { spec: { type: 'UNLIMITED' }, status: { used: { cpu: expect.any(Number) } } },
      },
    });
    expect((await sluice.api('/api/v1/status/system-info', { token: null })).status).toBe(401);
  });
});
