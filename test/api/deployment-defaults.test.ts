import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { vvpProblems } from '../support/vvp-schemas.js';
import { tenant } from '../savepoints/support.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = Record<string, any>;

/** A vNamespace's Deployment Defaults through the REST API, and their merge into new Deployments. */
describe('deployment defaults', () => {
  let sluice: RunningSluice;
  const vns = 'defaults-a';
  const path = `/api/v1/namespaces/${vns}/deployment-defaults`;
  const ok = async (res: Response, status = 200): Promise<Body> => {
    expect(res.status, await res.clone().text()).toBe(status);
    return (await res.json()) as Body;
  };
  const patch = (body: unknown, init: RequestInit & { token?: string } = {}) =>
    sluice.api(path, { method: 'PATCH', body: JSON.stringify(body), ...init });

  beforeAll(async () => {
    sluice = await startSluice();
    await tenant(sluice, vns);
  });
  afterAll(() => sluice?.stop());

  it('reads none at first, then PATCHes them as a merge patch, in JSON and YAML', async () => {
    const empty = await ok(await sluice.api(path));
    expect(vvpProblems('DeploymentDefaults', empty)).toEqual([]);
    expect(empty).toMatchObject({
      kind: 'DeploymentDefaults',
      metadata: { name: 'default', namespace: vns, resourceVersion: 0 },
      spec: {},
    });

    const first = await ok(
      await patch({
        spec: {
          upgradeStrategy: { kind: 'STATEFUL' },
          template: { spec: { parallelism: 2, flinkConfiguration: { 'taskmanager.numberOfTaskSlots': '2', 'metrics.reporters': 'prom' } } },
        },
      }),
    );
    expect(vvpProblems('DeploymentDefaults', first)).toEqual([]);
    expect(first.metadata).toMatchObject({ id: empty.metadata.id, resourceVersion: 1 });

    const yaml = await sluice.api(path, {
      method: 'PATCH',
      headers: { accept: 'application/yaml' },
      yaml: 'metadata:\n  resourceVersion: 1\nspec:\n  template:\n    spec:\n      flinkConfiguration:\n        metrics.reporters: null\n',
    });
    expect(yaml.status, await yaml.clone().text()).toBe(200);
    const second = parseYaml(await yaml.text()) as Body;
    expect(second.metadata.resourceVersion).toBe(2);
    expect(second.spec).toEqual({
      upgradeStrategy: { kind: 'STATEFUL' },
      template: { spec: { parallelism: 2, flinkConfiguration: { 'taskmanager.numberOfTaskSlots': '2' } } },
    });
    expect(await ok(await sluice.api(path))).toEqual(second);
  });

  it("merges them under a new Deployment's spec: its own values win; existing Deployments keep theirs", async () => {
    const created = await ok(
      await sluice.api(`/api/v1/namespaces/${vns}/deployments`, {
        method: 'POST',
        body: JSON.stringify({
          metadata: { name: 'with-defaults' },
          spec: {
            state: 'CANCELLED',
            deploymentTargetName: 'target',
            template: { spec: { parallelism: 4, artifact: { kind: 'JAR', jarUri: 'file:///x.jar' }, flinkConfiguration: { 'a.b': 'c' } } },
          },
        }),
      }),
      201,
    );
    expect(created.spec.upgradeStrategy).toEqual({ kind: 'STATEFUL' });
    expect(created.spec.template.spec.parallelism).toBe(4);
    expect(created.spec.template.spec.flinkConfiguration).toEqual({ 'taskmanager.numberOfTaskSlots': '2', 'a.b': 'c' });

    await ok(await patch({ spec: { upgradeStrategy: { kind: 'NONE' } } }));
    const again = await ok(await sluice.api(`/api/v1/namespaces/${vns}/deployments/with-defaults`));
    expect(again.spec.upgradeStrategy).toEqual({ kind: 'STATEFUL' });
  });

  it('refuses bad input with a 4xx naming the field, and changes nothing', async () => {
    const before = await ok(await sluice.api(path));
    const cases: [unknown, number, RegExp][] = [
      [{ spec: { template: { spec: { parallelism: 'many' } } } }, 400, /parallelism/],
      [{ spec: { restoreStrategy: { kind: 'NEVER_EVER' } } }, 400, /restoreStrategy/],
      [{ spec: { unknownField: true } }, 400, /unknownField/],
      [{ metadata: { resourceVersion: 1 } }, 409, /stale/],
      [{ metadata: { namespace: 'elsewhere' } }, 400, /namespace/],
      [[1, 2], 400, /object/],
    ];
    for (const [body, status, message] of cases) {
      const res = await patch(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(((await res.json()) as Body).message).toMatch(message);
    }
    expect((await sluice.api(path, { method: 'PATCH', body: '{not json' })).status).toBe(400);
    expect(await ok(await sluice.api(path))).toEqual(before);
  });

  it('lets viewers read but not change them, and is a 404 for another tenant', async () => {
    const mint = async (ns: string, role: string) =>
      (
        (await ok(
          await sluice.api(`/apitokens/v1/namespaces/${ns}/apitokens`, {
            method: 'POST',
            body: JSON.stringify({ name: `namespaces/${ns}/apitokens/${role}-d`, role }),
          }),
          201,
        )) as Body
      ).apiToken.secret as string;
    const viewer = await mint(vns, 'viewer');
    expect((await sluice.api(path, { token: viewer })).status).toBe(200);
    expect((await patch({ spec: { maxJobCreationAttempts: 9 } }, { token: viewer })).status).toBe(403);
    await tenant(sluice, 'defaults-b');
    const other = await mint('defaults-b', 'owner');
    expect((await sluice.api(path, { token: other })).status).toBe(404);
    expect((await patch({ spec: { maxJobCreationAttempts: 9 } }, { token: other })).status).toBe(404);
    expect((await ok(await sluice.api(path))).spec.maxJobCreationAttempts).toBeUndefined();
  });
});
