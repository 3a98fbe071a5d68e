import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import onCrChanged from '../../functions/onCrChanged/index.js';
import { CrClient } from '../../shared/kube/cr-client.js';
import { SAVEPOINTS } from '../../shared/kube/resources.js';
import { dispatch } from '../../shared/runtime/dispatch.js';
import { createTestNamespace, deleteTestNamespace, eventually } from '../bed/env.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import {
  applyCr,
  condition,
  createTarget,
  crFor,
  crsIn,
  getDeployment,
  kubectl,
  kubectlOk,
  rest,
  settle,
  synced,
  waitCr,
} from './support.js';
import { examplePath } from '../support/files.js';

type Spec = { template: { spec: Record<string, unknown> } } & Record<string, unknown>;

describe('the VvpDeployment operator: syncing modes, refusals, ordering', () => {
  let sluice: RunningSluice;
  let ns = '';
  const vns = 'default';

  beforeAll(async () => {
    ns = await createTestNamespace('ops-modes');
    sluice = await startSluice({ watchedNamespaces: [ns], operatorIdentity: 'ops-modes', auth: false });
    await createTarget(sluice, vns, 'test-target', ns);
  });
  afterAll(async () => {
    await sluice?.stop();
    await deleteTestNamespace(ns);
  });

  /** A Deployment created through the REST API, before any CR refers to it. */
  async function restDeployment(name: string) {
    return rest(sluice, `/api/v1/namespaces/${vns}/deployments`, {
      method: 'POST',
      body: JSON.stringify({
        metadata: { name, labels: { origin: 'rest' } },
        spec: {
          state: 'CANCELLED',
          deploymentTargetName: 'test-target',
          maxJobCreationAttempts: 3,
          template: { spec: { artifact: { kind: 'JAR', jarUri: 'file:///a.jar' }, parallelism: 2, flinkConfiguration: { 'a.b': 'c' } } },
        },
      }),
    });
  }

  it('PUT mode: the first sync into an existing Deployment patches it and syncs the result back; later syncs replace it', async () => {
    await restDeployment('put-dep');
    expect((await applyCr(ns, crFor('put-dep', vns, 'test-target', { syncingMode: 'PUT' }))).code).toBe(0);
    const first = await synced(sluice, ns, 'put-dep');
    // Patched: what the CR lacks stayed, and the CR now shows it.
    expect((first.spec.deployment.spec as Spec).template.spec).toMatchObject({ parallelism: 2, flinkConfiguration: { 'a.b': 'c' } });
    expect(first.spec.deployment.spec).toMatchObject({ maxJobCreationAttempts: 3 });
    expect(first.spec.deployment.userMetadata?.labels).toEqual({ origin: 'rest' });

    // Removing fields from the CR now removes them from the Deployment.
    await kubectlOk([
      '-n',
      ns,
      'patch',
      'vvpdeployment',
      'put-dep',
      '--type',
      'json',
      '-p',
      JSON.stringify([
        { op: 'remove', path: '/spec/deployment/spec/template/spec/parallelism' },
        { op: 'remove', path: '/spec/deployment/spec/maxJobCreationAttempts' },
        { op: 'remove', path: '/spec/deployment/userMetadata/labels' },
      ]),
    ]);
    await synced(sluice, ns, 'put-dep');
    const d = await getDeployment(sluice, vns, 'put-dep');
    // Unset again: the API shows VVP's defaults for them.
    expect(d.spec.template.spec.parallelism).toBe(1);
    expect(d.spec.maxJobCreationAttempts).toBe(4);
    expect(d.spec.template.spec.flinkConfiguration).toEqual({ 'a.b': 'c' });
    expect(d.metadata.labels).toEqual({});
  });

  it('PATCH mode: removing a field from the CR keeps it in the Deployment (and the CR gets it back)', async () => {
    await restDeployment('patch-dep');
    await applyCr(ns, crFor('patch-dep', vns, 'test-target', { spec: { maxJobCreationAttempts: 9 } }));
    await synced(sluice, ns, 'patch-dep');
    await kubectlOk([
      '-n',
      ns,
      'patch',
      'vvpdeployment',
      'patch-dep',
      '--type',
      'json',
      '-p',
      JSON.stringify([{ op: 'remove', path: '/spec/deployment/spec/template/spec/parallelism' }]),
    ]);
    const cr = await waitCr(
      sluice,
      ns,
      'patch-dep',
      (c) =>
        (c.spec.deployment.spec as Spec).template.spec.parallelism === 2 && c.status?.observedGeneration === c.metadata.generation
          ? c
          : undefined,
      'parallelism synced back',
    );
    expect(cr.spec.deployment.spec).toMatchObject({ maxJobCreationAttempts: 9 });
    const d = await getDeployment(sluice, vns, 'patch-dep');
    expect(d.spec.template.spec.parallelism).toBe(2);
    expect(d.spec.maxJobCreationAttempts).toBe(9);
  });

  it('does not regress the Deployment on reordered or duplicated CR events, and does not loop on its own status writes', async () => {
    await applyCr(ns, crFor('order-dep', vns, 'test-target', { spec: { maxJobCreationAttempts: 1 } }));
    const old = await synced(sluice, ns, 'order-dep');
    await kubectlOk([
      '-n',
      ns,
      'patch',
      'vvpdeployment',
      'order-dep',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { deployment: { spec: { maxJobCreationAttempts: 7 } } } }),
    ]);
    const now = await synced(sluice, ns, 'order-dep');
    expect(now.metadata.generation).toBeGreaterThan(old.metadata.generation!);
    await settle(sluice);
    const before = await getDeployment(sluice, vns, 'order-dep');
    const crBefore = (await crsIn(sluice, ns).get('order-dep'))!;

    // The old version's event arrives late, twice, and the current one again.
    const event = (object: unknown) => ({
      mode: 'resource' as const,
      verb: 'update' as const,
      id: randomUUID(),
      source: 'test',
      ref: { apiVersion: 'ververica.platform/v1', kind: 'VvpDeployment', namespace: ns, name: 'order-dep' },
      object: object as never,
    });
    for (const object of [old, old, crBefore, crBefore]) {
      const reply = await dispatch(onCrChanged, event(object), sluice.ctx);
      expect(reply.status).toBe(200);
    }
    await settle(sluice);
    await new Promise((r) => setTimeout(r, 1000));
    const after = await getDeployment(sluice, vns, 'order-dep');
    expect(after.spec.maxJobCreationAttempts).toBe(7);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect((await crsIn(sluice, ns).get('order-dep'))!.metadata.resourceVersion).toBe(crBefore.metadata.resourceVersion);
  });

  it('ignores CRs outside the watched namespaces, in the handler too', async () => {
    const cr = {
      ...crFor('elsewhere', vns, 'test-target'),
      metadata: { name: 'elsewhere', namespace: 'not-watched', uid: randomUUID(), resourceVersion: '1' },
    };
    const ref = { apiVersion: 'ververica.platform/v1', kind: 'VvpDeployment', namespace: 'not-watched', name: 'elsewhere' };
    const event = { mode: 'resource' as const, verb: 'add' as const, id: randomUUID(), source: 'test', ref, object: cr as never };
    expect(await dispatch(onCrChanged, event, sluice.ctx)).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringMatching(/^not ours/),
    });
    expect(await onCrChanged.handle(event, sluice.ctx)).toEqual({ result: 'skipped', reason: 'namespace not-watched is not watched' });
    // A Deployment whose annotation names a CR in a namespace that is not watched: the same.
    const fd = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'FlinkDeployment',
      metadata: {
        name: 'default.x-12345678',
        namespace: sluice.ctx.settings.platformNamespace,
        annotations: { 'sluice.dev/managed-by-cr': 'not-watched/elsewhere' },
      },
    };
    const fdEvent = {
      mode: 'resource' as const,
      verb: 'update' as const,
      id: randomUUID(),
      source: 'test',
      ref: { apiVersion: fd.apiVersion, kind: fd.kind, namespace: fd.metadata.namespace, name: fd.metadata.name },
      object: fd as never,
    };
    expect(await onCrChanged.handle(fdEvent, sluice.ctx)).toEqual({ result: 'skipped', reason: 'namespace not-watched is not watched' });
  });

  it("reports a Platform refusal as a condition naming the CR's field, and syncs once the cause is gone", async () => {
    await applyCr(ns, crFor('late-target', vns, 'later-target'));
    const refused = await waitCr(sluice, ns, 'late-target', (c) => condition(c)?.reason === 'Refused' && c, 'Refused condition');
    expect(condition(refused)).toMatchObject({
      status: 'False',
      message: expect.stringMatching(
        /^spec\.deployment\.spec\.deploymentTargetName: deployment target later-target not found in namespace default/,
      ),
    });
    expect((await sluice.api(`/api/v1/namespaces/${vns}/deployments/late-target`)).status).toBe(404);
    expect(refused.status!.observedGeneration).toBeUndefined();

    await createTarget(sluice, vns, 'later-target', ns);
    // Nothing about the CR changed: the periodic resync (PingSource's job) repairs it.
    await sluice.runner.resyncAll();
    const ok = await synced(sluice, ns, 'late-target');
    expect(ok.status!.customResourceStatus!.deploymentId).toBe((await getDeployment(sluice, vns, 'late-target')).metadata.id);
  });

  it("validates what the CRD schema cannot say, with the model's schemas, and reports the field", async () => {
    await applyCr(
      ns,
      crFor('invalid-dep', vns, 'test-target', {
        spec: { maxJobCreationAttempts: 0, upgradeStrategy: { kind: 'STATEFUL' }, restoreStrategy: { kind: 'NONE' } },
      }),
    );
    const cr = await waitCr(sluice, ns, 'invalid-dep', (c) => condition(c)?.reason === 'InvalidSpec' && c, 'InvalidSpec condition');
    expect(condition(cr)!.message).toContain('spec.deployment.spec.maxJobCreationAttempts: must be >= 1');
    expect(condition(cr)!.message).toContain('spec.deployment.spec.restoreStrategy.kind');
    expect((await sluice.api(`/api/v1/namespaces/${vns}/deployments/invalid-dep`)).status).toBe(404);
  });

  it('refuses a CR nested deeper than any Deployment needs, as the REST API does, and keeps working', async () => {
    let affinity: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 3000; i++) affinity = { a: affinity };
    const deep = crFor('deep-dep', vns, 'test-target', {
      spec: { template: { spec: { kubernetes: { pods: { affinity } } } } },
    });
    (deep.spec.deployment.spec.template.spec as Record<string, unknown>).artifact = { kind: 'JAR', jarUri: 'file:///x.jar' };
    const applied = await applyCr(ns, deep);
    expect(applied.code, applied.stderr).toBe(0);
    const cr = await waitCr(sluice, ns, 'deep-dep', (c) => condition(c)?.status === 'False' && c, 'deep CR refused');
    expect(condition(cr)!.message).toMatch(/nested more than 64 levels deep/);
    expect((await sluice.api(`/api/v1/namespaces/${vns}/deployments/deep-dep`)).status).toBe(404);
    // The operator still syncs other CRs.
    await applyCr(ns, crFor('after-deep', vns, 'test-target'));
    await synced(sluice, ns, 'after-deep');
  });

  it('refuses the platform-controlled annotations, naming them, and syncs nothing', async () => {
    await applyCr(ns, crFor('reserved-dep', vns, 'test-target'));
    await synced(sluice, ns, 'reserved-dep');
    await kubectlOk([
      '-n',
      ns,
      'patch',
      'vvpdeployment',
      'reserved-dep',
      '--type',
      'merge',
      '-p',
      JSON.stringify({
        spec: {
          deployment: {
            userMetadata: { annotations: { 'com.dataartisans.appmanager.controller.deployment.spec.version': '4', ok: 'yes' } },
            spec: { maxJobCreationAttempts: 8 },
          },
        },
      }),
    ]);
    const cr = await waitCr(sluice, ns, 'reserved-dep', (c) => condition(c)?.reason === 'ReservedAnnotations' && c, 'ReservedAnnotations');
    expect(condition(cr)!.message).toContain(
      'spec.deployment.userMetadata.annotations["com.dataartisans.appmanager.controller.deployment.spec.version"]',
    );
    const d = await getDeployment(sluice, vns, 'reserved-dep');
    expect(d.metadata.annotations).toEqual({});
    expect(d.spec.maxJobCreationAttempts).toBe(4); // VVP's default: the CR's 8 was not synced
    // The status is still mirrored.
    expect(cr.status!.customResourceStatus!.deploymentId).toBe(d.metadata.id);
  });

  it("lets the API server refuse CRs that break the operator's CR schema (kubectl apply fails)", async () => {
    const bad: [string, (cr: ReturnType<typeof crFor>) => unknown, RegExp][] = [
      ['syncingMode', (cr) => ({ ...cr, spec: { ...cr.spec, syncingMode: 'POST' } }), /spec\.syncingMode/],
      [
        'state',
        (cr) => {
          (cr.spec.deployment.spec as Record<string, unknown>).state = 'STARTED';
          return cr;
        },
        /spec\.deployment\.spec\.state/,
      ],
      [
        'artifact kind',
        (cr) => {
          (cr.spec.deployment.spec.template.spec.artifact as Record<string, unknown>).kind = 'ZIP';
          return cr;
        },
        /artifact/,
      ],
      [
        'jarUri missing',
        (cr) => {
          delete (cr.spec.deployment.spec.template.spec.artifact as Record<string, unknown>).jarUri;
          return cr;
        },
        /artifact/,
      ],
      [
        'int32',
        (cr) => {
          cr.spec.deployment.spec.template.spec.parallelism = 2 ** 31;
          (cr.spec.deployment.spec as Record<string, unknown>).maxJobCreationAttempts = -(2 ** 31) - 1;
          return cr;
        },
        /maxJobCreationAttempts.*parallelism|parallelism.*maxJobCreationAttempts/s,
      ],
      [
        'cpu',
        (cr) => {
          cr.spec.deployment.spec.template.spec.resources = { taskmanager: { cpu: 0.01, memory: '1G' } };
          return cr;
        },
        /cpu/,
      ],
      [
        'no target',
        (cr) => {
          delete (cr.spec.deployment.spec as Record<string, unknown>).deploymentTargetName;
          return cr;
        },
        /deploymentTargetName|sessionClusterName/,
      ],
      ['no deployment', (cr) => ({ ...cr, spec: { syncingMode: 'PATCH' } }), /spec\.deployment/],
      [
        'savepoint location',
        (cr) => ({ ...cr, spec: { ...cr.spec, initialSavepointSpec: { flinkSavepointId: 'x' } } }),
        /savepointLocation/,
      ],
    ];
    for (const [what, mutate, message] of bad) {
      const cr = mutate(crFor(`schema-${what.replace(/\s+/g, '-')}`, vns, 'test-target'));
      // As a user runs it (kubectl validates against the schema the API server publishes)...
      expect((await applyCr(ns, cr)).code, what).not.toBe(0);
      // ...and the API server itself, without kubectl's help.
      const r = await kubectl(['-n', ns, 'apply', '--validate=false', '-f', '-'], JSON.stringify(cr));
      expect(r.code, what).not.toBe(0);
      expect(r.stderr, what).toMatch(/is invalid/);
      expect(r.stderr, what).toMatch(message);
    }
    const listed = await kubectl(['-n', ns, 'get', 'vvpdeployments', '-o', 'name']);
    expect(listed.stdout).not.toContain('schema-');
  });

  it("creates the initial savepoint of VVP's example, only when its conditions hold", async () => {
    await kubectlOk(['-n', ns, 'apply', '-f', examplePath('operator/vvp-deployment-initial-savepoint.yaml')]);
    await synced(sluice, ns, 'test-cr');
    const d = await getDeployment(sluice, vns, 'test-cr');
    const savepoints = new CrClient<{ metadata: { name: string }; spec: { spec: Record<string, unknown> }; status?: { state?: string } }>(
      sluice.kube,
      SAVEPOINTS,
      sluice.ctx.settings.platformNamespace,
    );
    const [sp, ...more] = await savepoints.list(`sluice.dev/deployment-id=${d.metadata.id}`);
    expect(more).toEqual([]);
    expect(sp!.spec.spec).toMatchObject({
      savepointLocation: 's3://bucket/path/to/savepoint-abc123',
      deploymentId: d.metadata.id,
      savepointOrigin: 'COPIED',
    });
    expect(sp!.status?.state).toBe('COMPLETED');
    const fd = (await sluice.kube.custom.listNamespacedCustomObject({
      group: 'sluice.dev',
      version: 'v1alpha1',
      namespace: sluice.ctx.settings.platformNamespace,
      plural: 'flinkdeployments',
    })) as { items: { spec: { metadata: { id: string } }; metadata: { annotations?: Record<string, string> } }[] };
    const stored = fd.items.find((i) => i.spec.metadata.id === d.metadata.id)!;
    expect(stored.metadata.annotations).toEqual({ 'sluice.dev/managed-by-cr': `${ns}/test-cr` });

    // Not when the Deployment is created RUNNING, or restores with NONE.
    for (const [name, spec] of [
      ['sp-running', { state: 'RUNNING' }],
      ['sp-none', { restoreStrategy: { kind: 'NONE' } }],
    ] as const) {
      await applyCr(ns, crFor(name, vns, 'test-target', { spec, extra: { initialSavepointSpec: { savepointLocation: 's3://b/sp' } } }));
      await synced(sluice, ns, name);
      const other = await getDeployment(sluice, vns, name);
      expect(await savepoints.list(`sluice.dev/deployment-id=${other.metadata.id}`), name).toEqual([]);
    }
    await kubectlOk([
      '-n',
      ns,
      'patch',
      'vvpdeployment',
      'sp-running',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { deployment: { spec: { state: 'CANCELLED' } } } }),
    ]);
  });

  it("marks the Deployment FAILED (no job) when its target's patch set fails for a change from a CR", async () => {
    await createTarget(sluice, vns, 'strict-target', ns, {
      deploymentPatchSet: [{ op: 'replace', path: '/spec/template/spec/parallelism', value: 4 }],
    });
    await applyCr(ns, crFor('failing-dep', vns, 'strict-target', { spec: { state: 'RUNNING' } }));
    const cr = await waitCr(sluice, ns, 'failing-dep', (c) => condition(c, 'DeploymentFailed') && c, 'DeploymentFailed condition');
    expect(condition(cr, 'DeploymentFailed')).toMatchObject({
      status: 'True',
      reason: 'DeploymentPatchSetFailed',
      message: expect.stringContaining('deploymentPatchSet operation 0 (replace /spec/template/spec/parallelism) failed'),
    });
    expect(cr.status!.deploymentStatus!.state).toBe('FAILED');
    expect(condition(cr)).toMatchObject({ status: 'True' });
    const jobs = await rest<{ items: unknown[] }>(
      sluice,
      `/api/v1/namespaces/${vns}/jobs?deploymentId=${cr.status!.customResourceStatus!.deploymentId}`,
    );
    expect(jobs.items).toEqual([]);
  });

  it("turns syncing off with the CR's own annotation", async () => {
    await applyCr(ns, crFor('own-switch', vns, 'test-target', { spec: { maxJobCreationAttempts: 2 } }));
    await synced(sluice, ns, 'own-switch');
    await kubectlOk(['-n', ns, 'annotate', 'vvpdeployment', 'own-switch', 'sluice.dev/cr-syncing=false']);
    await kubectlOk([
      '-n',
      ns,
      'patch',
      'vvpdeployment',
      'own-switch',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { deployment: { spec: { maxJobCreationAttempts: 6 } } } }),
    ]);
    const idle = await waitCr(
      sluice,
      ns,
      'own-switch',
      (c) => c.status?.customResourceStatus?.customResourceState === 'IDLING' && c,
      'IDLING',
    );
    expect(condition(idle)).toMatchObject({ reason: 'SyncingOff' });
    await settle(sluice);
    expect((await getDeployment(sluice, vns, 'own-switch')).spec.maxJobCreationAttempts).toBe(2);
    await kubectlOk(['-n', ns, 'annotate', 'vvpdeployment', 'own-switch', 'sluice.dev/cr-syncing-']);
    await synced(sluice, ns, 'own-switch');
    expect((await getDeployment(sluice, vns, 'own-switch')).spec.maxJobCreationAttempts).toBe(6);
  });

  it('lets only one CR manage a Deployment', async () => {
    await applyCr(ns, crFor('first-owner', vns, 'test-target'));
    await synced(sluice, ns, 'first-owner');
    const second = crFor('second-owner', vns, 'test-target', { spec: { maxJobCreationAttempts: 7 } });
    second.spec.deployment.userMetadata.name = 'first-owner';
    await applyCr(ns, second);
    const cr = await waitCr(sluice, ns, 'second-owner', (c) => condition(c)?.reason === 'ManagedByAnotherCr' && c, 'ManagedByAnotherCr');
    expect(condition(cr)!.message).toContain(`VvpDeployment ${ns}/first-owner`);
    expect(cr.status!.customResourceStatus!.customResourceState).toBe('IDLING');
    expect((await getDeployment(sluice, vns, 'first-owner')).spec.maxJobCreationAttempts).toBe(4); // VVP's default, not the second CR's 7
  });

  it('keeps the Deployment when its CR is deleted, no longer marked as managed', async () => {
    await applyCr(ns, crFor('deleted-cr', vns, 'test-target'));
    const cr = await synced(sluice, ns, 'deleted-cr');
    await kubectlOk(['-n', ns, 'delete', 'vvpdeployment', 'deleted-cr']);
    const platformNs = sluice.ctx.settings.platformNamespace;
    const name = (
      (await sluice.kube.custom.listNamespacedCustomObject({
        group: 'sluice.dev',
        version: 'v1alpha1',
        namespace: platformNs,
        plural: 'flinkdeployments',
        labelSelector: `sluice.dev/id=${cr.status!.customResourceStatus!.deploymentId}`,
      })) as { items: { metadata: { name: string } }[] }
    ).items[0]!.metadata.name;
    const fd = await eventually(
      async () => {
        const o = (await sluice.kube.custom.getNamespacedCustomObject({
          group: 'sluice.dev',
          version: 'v1alpha1',
          namespace: platformNs,
          plural: 'flinkdeployments',
          name,
        })) as { metadata: { annotations?: Record<string, string> } };
        return o.metadata.annotations?.['sluice.dev/managed-by-cr'] === undefined ? o : undefined;
      },
      20_000,
      'managed-by annotation removed',
    );
    expect(fd).toBeDefined();
    expect((await getDeployment(sluice, vns, 'deleted-cr')).metadata.id).toBe(cr.status!.customResourceStatus!.deploymentId);
  });
});
