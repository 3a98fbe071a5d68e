import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { vvpProblems } from '../support/vvp-schemas.js';
import { client, deploymentBody, tenant } from '../savepoints/support.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = Record<string, any>;

const VALUE = 'correct-horse-battery-staple';

/** VVP's Secret Values through the REST API: write-only values, delivered to a job's pods in a Secret only. */
describe('secret values', () => {
  let sluice: RunningSluice;
  let namespace: string;
  const vns = 'secrets-a';
  const base = `/api/v1/namespaces/${vns}/secret-values`;
  const ok = async (res: Response, status = 200): Promise<Body> => {
    const text = await res.clone().text();
    expect(res.status, text).toBe(status);
    expect(text).not.toContain(VALUE);
    return (await res.json()) as Body;
  };

  beforeAll(async () => {
    sluice = await startSluice();
    ({ namespace } = await tenant(sluice, vns));
  });
  afterAll(() => sluice?.stop());

  it('creates, lists, reads, changes and deletes them, never answering a value (JSON and YAML)', async () => {
    const created = await ok(
      await sluice.api(base, {
        method: 'POST',
        body: JSON.stringify({ metadata: { name: 'db-password' }, spec: { kind: 'Plain', value: VALUE } }),
      }),
      201,
    );
    expect(vvpProblems('SecretValue', created)).toEqual([]);
    expect(created).toMatchObject({
      kind: 'SecretValue',
      metadata: { name: 'db-password', namespace: vns, resourceVersion: 1 },
      spec: { kind: 'Plain' },
    });

    const yaml = await sluice.api(base, {
      method: 'POST',
      headers: { accept: 'application/yaml' },
      yaml: 'metadata:\n  name: api-key\nspec:\n  kind: Plain\n  value: other-secret\n',
    });
    expect(yaml.status, await yaml.clone().text()).toBe(201);
    expect(parseYaml(await yaml.text())).toMatchObject({ metadata: { name: 'api-key' }, spec: { kind: 'Plain' } });

    const list = await ok(await sluice.api(base));
    expect(vvpProblems('ResourceListOfSecretValue', list)).toEqual([]);
    expect(list.items.map((s: Body) => s.metadata.name)).toEqual(['api-key', 'db-password']);
    expect(JSON.stringify(list)).not.toContain('other-secret');

    const patched = await ok(
      await sluice.api(`${base}/db-password`, {
        method: 'PATCH',
        body: JSON.stringify({ metadata: { resourceVersion: 1, labels: { team: 'a' } }, spec: { value: VALUE } }),
      }),
    );
    expect(patched.metadata).toMatchObject({ resourceVersion: 2, labels: { team: 'a' }, id: created.metadata.id });
    expect(await ok(await sluice.api(`${base}/db-password`))).toEqual(patched);

    expect((await ok(await sluice.api(`${base}/api-key`, { method: 'DELETE' }))).metadata.name).toBe('api-key');
    expect((await sluice.api(`${base}/api-key`)).status).toBe(404);
  });

  it('refuses bad input with a 4xx and changes nothing', async () => {
    const before = await ok(await sluice.api(base));
    const cases: [string, string, unknown, number][] = [
      ['POST', base, { metadata: { name: 'no-value' }, spec: { kind: 'Plain' } }, 400],
      ['POST', base, { metadata: { name: 'bad name' }, spec: { value: VALUE } }, 400],
      ['POST', base, { metadata: { name: 'x' }, spec: { kind: 'Vault', value: VALUE } }, 400],
      ['POST', base, { metadata: { name: 'db-password' }, spec: { value: VALUE } }, 409],
      ['PATCH', `${base}/db-password`, { metadata: { resourceVersion: 1 }, spec: { value: 'x' } }, 409],
      ['PATCH', `${base}/db-password`, { metadata: { name: 'renamed' } }, 400],
      ['PATCH', `${base}/db-password`, { spec: { value: 7 } }, 400],
      ['PATCH', `${base}/missing`, { spec: { value: 'x' } }, 404],
    ];
    for (const [method, path, body, status] of cases) {
      const res = await sluice.api(path, { method, body: JSON.stringify(body) });
      expect(res.status, `${method} ${JSON.stringify(body)}`).toBe(status);
      expect(await res.text()).not.toContain(VALUE);
    }
    expect((await sluice.api(`${base}/missing`, { method: 'DELETE' })).status).toBe(404);
    expect(await ok(await sluice.api(base))).toEqual(before);
  });

  it("delivers a referenced value to the job's pods in a Secret only, and refuses a reference to none", async () => {
    const missing = deploymentBody('bad-ref', {
      flinkConfiguration: { 'state.savepoints.dir': 's3://b/sp', 'db.password': '${secret_values.nope}' },
    });
    const refused = await sluice.api(`/api/v1/namespaces/${vns}/deployments`, { method: 'POST', body: JSON.stringify(missing) });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as Body).message).toMatch(/secret value nope .* not found/);

    const api = client(sluice, vns);
    await api.create('uses-secret', {
      flinkConfiguration: { 'state.savepoints.dir': 's3://b/sp', 'db.password': '${secret_values.db-password}' },
    });
    const running = await api.state('uses-secret', 'RUNNING');
    const jobId = running.status.running!.jobId!;
    const secret = await sluice.kube.core.readNamespacedSecret({ namespace, name: `job-${jobId}-flink-config` });
    expect(Buffer.from(secret.data!['flink-conf.yaml']!, 'base64').toString('utf8')).toContain(`db.password: ${VALUE}`);
    const plain = [
      await sluice.kube.core.readNamespacedConfigMap({ namespace, name: `job-${jobId}` }),
      await sluice.kube.batch.readNamespacedJob({ namespace, name: `job-${jobId}-jobmanager` }),
      await sluice.kube.apps.readNamespacedDeployment({ namespace, name: `job-${jobId}-taskmanager` }),
      await sluice.api(`/api/v1/namespaces/${vns}/jobs/${jobId}`).then((r) => r.json()),
      await sluice.api(`/api/v1/namespaces/${vns}/deployments/uses-secret`).then((r) => r.json()),
    ];
    expect(JSON.stringify(plain)).not.toContain(VALUE);
    expect(JSON.stringify(plain)).toContain('${secret_values.db-password}');
  });

  it('is a 404 for another tenant, and a viewer reads names but cannot write', async () => {
    const mint = async (ns: string, role: string) =>
      (
        (await ok(
          await sluice.api(`/apitokens/v1/namespaces/${ns}/apitokens`, {
            method: 'POST',
            body: JSON.stringify({ name: `namespaces/${ns}/apitokens/${role}-s`, role }),
          }),
          201,
        )) as Body
      ).apiToken.secret as string;
    const viewer = await mint(vns, 'viewer');
    expect((await sluice.api(`${base}/db-password`, { token: viewer })).status).toBe(200);
    expect(
      (await sluice.api(base, { method: 'POST', token: viewer, body: JSON.stringify({ metadata: { name: 'v' }, spec: { value: 'x' } }) }))
        .status,
    ).toBe(403);
    await tenant(sluice, 'secrets-b');
    const other = await mint('secrets-b', 'owner');
    for (const [method, path] of [
      ['GET', base],
      ['GET', `${base}/db-password`],
      ['PATCH', `${base}/db-password`],
      ['DELETE', `${base}/db-password`],
    ] as const) {
      const res = await sluice.api(path, {
        method,
        token: other,
        ...(method === 'PATCH' ? { body: JSON.stringify({ spec: { value: 'x' } }) } : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect(((await (await sluice.api('/api/v1/namespaces/secrets-b/secret-values', { token: other })).json()) as Body).items).toEqual([]);
    expect((await sluice.api(`${base}/db-password`)).status).toBe(200);
  });
});
