import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../bed/env.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { exampleText } from '../support/files.js';

// Response bodies are navigated freely in assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = { metadata: { id: string; name: string; resourceVersion: number }; spec: Record<string, any>; status?: Record<string, any> };

describe('deployment targets, patch sets and deployments over the REST API', () => {
  let sluice: RunningSluice;
  const ns = '/api/v1/namespaces/patches';
  const body = async (res: Response) => (await res.json()) as Obj & { message: string; items: Obj[] };
  const target = (name: string, spec: object) => JSON.stringify({ metadata: { name }, spec });
  const deployment = (name: string, targetName: string, extra: object = {}) =>
    JSON.stringify({
      metadata: { name },
      spec: {
        state: 'CANCELLED',
        deploymentTargetName: targetName,
        template: { spec: { artifact: { kind: 'JAR', jarUri: 'https://x/y.jar' }, parallelism: 1, ...extra } },
      },
    });

  beforeAll(async () => {
    sluice = await startSluice();
    expect((await sluice.api('/namespaces/v1/namespaces', { method: 'POST', body: JSON.stringify({ name: 'patches' }) })).status).toBe(201);
    // VVP's patch-set target example, verbatim but for a name (the example has none).
    const yaml = exampleText('deployment-target-with-patch-set.yaml').replace(
      'kind: DeploymentTarget\n',
      'kind: DeploymentTarget\nmetadata:\n  name: s3-target\n',
    );
    const res = await sluice.api(`${ns}/deployment-targets`, { method: 'POST', yaml });
    expect(res.status, await res.clone().text()).toBe(201);
  });
  afterAll(() => sluice?.stop());

  it('serves an OpenAPI document generated from the schemas', async () => {
    const doc = (await (await sluice.api('/api/v1/openapi.json', { token: null })).json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/namespaces/v1/namespaces',
        '/api/v1/namespaces/{ns}/deployments/{id}',
        '/apitokens/v1/namespaces/{ns}/apitokens',
        '/api/v1/namespaces/{ns}/events',
        '/api/v1/namespaces/{ns}/deployment-defaults',
        '/api/v1/namespaces/{ns}/secret-values',
        '/api/v1/namespaces/{ns}/secret-values/{name}',
      ]),
    );
    const methods = (path: string) => Object.keys(doc.paths[path] as object).filter((k) => k !== 'parameters');
    expect(methods('/api/v1/namespaces/{ns}/secret-values/{name}')).toEqual(['get', 'patch', 'delete']);
    expect(methods('/api/v1/namespaces/{ns}/deployment-defaults')).toEqual(['get', 'patch']);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Event', 'SecretValue', 'SecretValueInput', 'DeploymentDefaults', 'DeploymentDefaultsInput']),
    );
    expect(doc.components.schemas.SecretValue!.properties!.spec).not.toHaveProperty('properties.value');
    expect(Object.keys(doc.components.schemas.DeploymentInput!.properties!)).toEqual(expect.arrayContaining(['metadata', 'spec']));
  });

  it("applies the example target's patch set: the effective spec carries exactly its two entries", async () => {
    const res = await sluice.api(`${ns}/deployments`, { method: 'POST', body: deployment('with-s3', 's3-target') });
    expect(res.status, await res.clone().text()).toBe(201);
    const stored = await eventually(
      async () => {
        const cr = (await sluice.platformCr('with-s3')) as { status?: { sluice?: { effective?: { spec?: Obj['spec'] } } } } | undefined;
        return cr?.status?.sluice?.effective?.spec;
      },
      10_000,
      'effective spec',
    );
    expect(stored.template.spec.flinkConfiguration).toEqual({
      'state.checkpoints.dir': 's3://my-bucket/checkpoints',
      'state.savepoints.dir': 's3://my-bucket/savepoints',
    });
    // The user's own spec is kept as given.
    expect((await body(await sluice.api(`${ns}/deployments/with-s3`))).spec.template.spec.flinkConfiguration).toBeUndefined();
  });

  it('refuses a deployment whose patch set fails, naming the operation, and stores nothing', async () => {
    expect(
      (
        await sluice.api(`${ns}/deployment-targets`, {
          method: 'POST',
          body: target('strict', {
            deploymentPatchSet: [
              { op: 'add', path: '/spec/template/spec/flinkConfiguration/a', value: '1' },
              { op: 'test', path: '/spec/template/spec/parallelism', value: 4 },
            ],
          }),
        })
      ).status,
    ).toBe(201);
    const res = await sluice.api(`${ns}/deployments`, { method: 'POST', body: deployment('refused', 'strict') });
    expect(res.status).toBe(422);
    expect((await body(res)).message).toBe(
      'deploymentPatchSet operation 1 (test /spec/template/spec/parallelism) failed: the test did not match (deployment target strict)',
    );
    expect((await sluice.api(`${ns}/deployments/refused`)).status).toBe(404);
    // The same target accepts a deployment the test matches.
    expect(
      (await sluice.api(`${ns}/deployments`, { method: 'POST', body: deployment('accepted', 'strict', { parallelism: 4 }) })).status,
    ).toBe(201);
  });

  it('refuses a patch set that would move a deployment to another target or namespace', async () => {
    const res = await sluice.api(`${ns}/deployment-targets`, {
      method: 'POST',
      body: target('hostile', { deploymentPatchSet: [{ op: 'replace', path: '/metadata/namespace', value: 'other' }] }),
    });
    expect(res.status).toBe(201);
    const d = await sluice.api(`${ns}/deployments`, { method: 'POST', body: deployment('moved', 'hostile') });
    expect(d.status).toBe(422);
    expect((await body(d)).message).toMatch(/operation 0 \(replace \/metadata\/namespace\) failed: a patch set may only change/);
  });

  it('marks a deployment FAILED, starting nothing, when a change that bypassed the API fails the patch set', async () => {
    // As a CR-driven change would: the FlinkDeployment is written directly, no dry run.
    const strict = (await body(await sluice.api(`${ns}/deployment-targets/strict`))).metadata.id;
    expect(strict).toBeTruthy();
    await sluice.changePlatformCr('accepted', 'patches', (cr) => {
      cr.spec.spec.template.spec.parallelism = 3;
    });
    const failed = await eventually(
      async () => {
        const d = await body(await sluice.api(`${ns}/deployments/accepted`));
        return d.status?.state === 'FAILED' ? d : undefined;
      },
      10_000,
      'deployment FAILED',
    );
    expect(failed.status!.failure.message).toBe(
      'deploymentPatchSet operation 1 (test /spec/template/spec/parallelism) failed: the test did not match',
    );
    expect(failed.status!.running).toBeUndefined();
    const jobs = await body(await sluice.api(`/api/v1/namespaces/patches/jobs?deploymentId=${failed.metadata.id}`));
    expect(jobs.items).toEqual([]);
    // Put back as it was, for the tests below.
    await sluice.changePlatformCr('accepted', 'patches', (cr) => {
      cr.spec.spec.template.spec.parallelism = 4;
    });
  });

  it('names the field at fault for schema violations', async () => {
    const cases: [string, RegExp][] = [
      [deployment('bad', 's3-target', { parallelism: 1.5 }), /spec\.template\.spec\.parallelism/],
      [
        JSON.stringify({
          metadata: { name: 'bad' },
          spec: { state: 'FLYING', deploymentTargetName: 's3-target', template: { spec: { artifact: { kind: 'JAR', jarUri: 'x' } } } },
        }),
        /spec\.state/,
      ],
      [
        JSON.stringify({
          metadata: { name: 'bad' },
          spec: {
            state: 'RUNNING',
            deploymentTargetName: 's3-target',
            upgradeStrategy: { kind: 'STATEFUL' },
            restoreStrategy: { kind: 'NONE' },
            template: { spec: { artifact: { kind: 'JAR', jarUri: 'x' } } },
          },
        }),
        /restoreStrategy/,
      ],
      [JSON.stringify({ metadata: { name: 'bad', bogus: 1 }, spec: {} }), /metadata/],
    ];
    for (const [payload, field] of cases) {
      const res = await sluice.api(`${ns}/deployments`, { method: 'POST', body: payload });
      expect(res.status, payload).toBe(400);
      expect((await body(res)).message).toMatch(field);
    }
    for (const [yaml, what] of [
      ['kind: [unclosed', /invalid YAML/],
      ['a: &x 1\nb: *x\nc: *x\n'.repeat(1), /./],
    ] as const) {
      const res = await sluice.api(`${ns}/deployments`, { method: 'POST', yaml });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect((await body(res)).message).toMatch(what);
    }
    expect((await sluice.api(`${ns}/deployments`, { method: 'POST', body: '{"metadata":' })).status).toBe(400);
    expect((await sluice.api(`${ns}/deployments`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } })).status).toBe(
      415,
    );
    expect(
      (await sluice.api(`${ns}/deployments`, { method: 'POST', body: JSON.stringify({ metadata: { name: 'x'.repeat(2_000_000) } }) }))
        .status,
    ).toBe(413);
    expect((await body(await sluice.api(`${ns}/deployments`))).items.map((d) => d.metadata.name)).not.toContain('bad');
  });

  it("refuses a body whose metadata.namespace is not the path's", async () => {
    const res = await sluice.api(`${ns}/deployments`, {
      method: 'POST',
      body: JSON.stringify({ metadata: { name: 'n', namespace: 'default' }, spec: JSON.parse(deployment('n', 's3-target')).spec }),
    });
    expect(res.status).toBe(400);
    expect((await body(res)).message).toMatch(/metadata\.namespace 'default' does not match/);
  });

  it('keeps a target immutable, and refuses deleting it while referenced, naming the deployment', async () => {
    const t = await body(await sluice.api(`${ns}/deployment-targets/s3-target`));
    const changed = await sluice.api(`${ns}/deployment-targets/s3-target`, {
      method: 'PUT',
      body: JSON.stringify({ metadata: { name: 's3-target' }, spec: { kubernetes: { namespace: 'elsewhere' } } }),
    });
    expect(changed.status).toBe(422);
    expect((await body(changed)).message).toMatch(/immutable/);
    const relabelled = await sluice.api(`${ns}/deployment-targets/s3-target`, {
      method: 'PUT',
      body: JSON.stringify({ metadata: { name: 's3-target', labels: { team: 'x' } }, spec: t.spec }),
    });
    expect(relabelled.status, await relabelled.clone().text()).toBe(200);
    const del = await sluice.api(`${ns}/deployment-targets/s3-target`, { method: 'DELETE' });
    expect(del.status).toBe(409);
    expect((await body(del)).message).toMatch(/referenced by deployment with-s3/);
    expect((await sluice.api(`${ns}/deployment-targets/s3-target`)).status).toBe(200);
  });

  it('answers 409 to a write with a stale resourceVersion, and changes nothing', async () => {
    const d = await body(await sluice.api(`${ns}/deployments/with-s3`));
    const ok = await sluice.api(`${ns}/deployments/with-s3`, {
      method: 'PATCH',
      body: JSON.stringify({ metadata: { resourceVersion: d.metadata.resourceVersion, labels: { v: '1' } } }),
    });
    expect(ok.status, await ok.clone().text()).toBe(200);
    expect((await body(ok)).metadata.resourceVersion).toBe(d.metadata.resourceVersion + 1);
    const stale = await sluice.api(`${ns}/deployments/with-s3`, {
      method: 'PUT',
      body: JSON.stringify({ ...d, metadata: { ...d.metadata, labels: { v: 'stale' } } }),
    });
    expect(stale.status).toBe(409);
    expect((await body(await sluice.api(`${ns}/deployments/with-s3`))).metadata).toMatchObject({ labels: { v: '1' } });
  });

  it('deletes a deployment only when CANCELLED, then its target', async () => {
    const running = await sluice.api(`${ns}/deployments/accepted`, {
      method: 'PATCH',
      body: JSON.stringify({ spec: { state: 'RUNNING' } }),
    });
    expect(running.status).toBe(200);
    const refused = await sluice.api(`${ns}/deployments/accepted`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect((await body(refused)).message).toMatch(/must be CANCELLED/);
    for (const name of ['with-s3']) expect((await sluice.api(`${ns}/deployments/${name}`, { method: 'DELETE' })).status).toBe(200);
    expect((await sluice.api(`${ns}/deployment-targets/s3-target`, { method: 'DELETE' })).status).toBe(200);
  });
});
