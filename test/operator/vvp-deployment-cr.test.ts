import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, deleteTestNamespace } from '../bed/env.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { condition, crsIn, ensureNamespace, getDeployment, kubectlOk, rest, settle, synced, waitCr, createTarget } from './support.js';
import { examplePath } from '../support/files.js';

/**
 * The operator's examples, applied unchanged with kubectl into a watched namespace, against
 * single-process Sluice without authentication (the examples carry no API token).
 */
describe("the VvpDeployment operator, with VVP's own example CRs", () => {
  let sluice: RunningSluice;
  let ns = '';
  const jobsNs = 'vvp-jobs-some-user';

  beforeAll(async () => {
    ns = await createTestNamespace('ops-examples');
    await ensureNamespace(jobsNs);
    sluice = await startSluice({ watchedNamespaces: [ns, jobsNs], operatorIdentity: 'vvp-1', auth: false });
    // "In the simple case, set deploymentTargetName to a DeploymentTarget that points to the
    // Kubernetes Namespace into which you install the CR."
    await createTarget(sluice, 'default', 'test-target', ns);
  });
  afterAll(async () => {
    await sluice?.stop();
    await deleteTestNamespace(ns);
  });

  it('creates the Deployment from test-cr.yaml (initFields applied) and writes its status back', async () => {
    await kubectlOk(['-n', ns, 'apply', '-f', examplePath('operator/vvp-deployment.yaml')]);
    const cr = await waitCr(
      sluice,
      ns,
      'test-cr',
      (c) => (c.status?.customResourceStatus?.statusState === 'CANCELLED' ? c : undefined),
      'CR status CANCELLED',
    );
    const d = await getDeployment(sluice, 'default', 'test-cr');
    expect(d.metadata).toMatchObject({ name: 'test-cr', namespace: 'default', displayName: 'abc' });
    expect(d.spec).toMatchObject({
      state: 'CANCELLED',
      deploymentTargetName: 'test-target',
      maxJobCreationAttempts: 99,
      maxSavepointCreationAttempts: 999,
    });
    // The CR's template, with VVP's defaults for what it leaves out.
    expect(d.spec.template.spec).toEqual({
      artifact: { kind: 'JAR', jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar' },
      parallelism: 1,
      logging: { loggingProfile: 'default', log4jLoggers: { '': 'INFO' } },
    });

    expect(cr.status!.customResourceStatus).toEqual({
      customResourceState: 'SYNCING',
      deploymentId: d.metadata.id,
      observedSpecState: 'CANCELLED',
      statusState: 'CANCELLED',
      vvpNamespace: 'default',
    });
    expect(cr.status!.deploymentStatus).toEqual(d.status);
    expect(cr.status!.deploymentSystemMetadata).toEqual({
      id: d.metadata.id,
      createdAt: expect.any(String),
      modifiedAt: expect.any(String),
      resourceVersion: d.metadata.resourceVersion,
      annotations: {
        'com.dataartisans.appmanager.controller.deployment.spec.version': String(d.metadata.resourceVersion),
        'com.dataartisans.appmanager.controller.deployment.transitioning': 'false',
      },
      labels: {},
    });
    expect(cr.status!.observedGeneration).toBe(cr.metadata.generation);
    expect(condition(cr)).toMatchObject({ status: 'True', reason: 'Synced' });
    // The result is synced back into the CR: displayName and maxSavepointCreationAttempts came from initFields.
    expect(cr.spec.deployment.userMetadata).toEqual({ name: 'test-cr', namespace: 'default', displayName: 'abc' });
    expect(cr.spec.deployment.spec).toMatchObject({ maxJobCreationAttempts: 99, maxSavepointCreationAttempts: 999 });

    const table = await kubectlOk(['-n', ns, 'get', 'vvpdeployments']);
    expect(table).toMatch(/test-cr\s+default\s+test-cr\s+CANCELLED\s+CANCELLED\s+SYNCING/);
  });

  it('applying the same file again changes nothing (no sync loop)', async () => {
    await settle(sluice);
    const before = await crsIn(sluice, ns).get('test-cr');
    const dBefore = await getDeployment(sluice, 'default', 'test-cr');
    await kubectlOk(['-n', ns, 'apply', '-f', examplePath('operator/vvp-deployment.yaml')]);
    await settle(sluice);
    await new Promise((r) => setTimeout(r, 1000));
    const after = await crsIn(sluice, ns).get('test-cr');
    expect(after!.metadata.resourceVersion).toBe(before!.metadata.resourceVersion);
    expect((await getDeployment(sluice, 'default', 'test-cr')).metadata.resourceVersion).toBe(dBefore.metadata.resourceVersion);
  });

  it("PATCH mode: the CR's fields overwrite, fields it lacks stay; initFields apply only once", async () => {
    // A change made in the platform, of a field the CR does not have.
    await rest(sluice, '/api/v1/namespaces/default/deployments/test-cr', {
      method: 'PATCH',
      body: JSON.stringify({ spec: { template: { spec: { parallelism: 3 } } } }),
    });
    await kubectlOk([
      '-n',
      ns,
      'patch',
      'vvpdeployment',
      'test-cr',
      '--type',
      'merge',
      '-p',
      JSON.stringify({
        spec: {
          deployment: { spec: { maxJobCreationAttempts: 5 } },
          initFields: { userMetadata: { displayName: 'not applied' }, spec: { maxSavepointCreationAttempts: 1 } },
        },
      }),
    ]);
    const cr = await waitCr(
      sluice,
      ns,
      'test-cr',
      (c) =>
        c.spec.deployment.spec?.maxJobCreationAttempts === 5 && c.status?.observedGeneration === c.metadata.generation ? c : undefined,
      'CR synced',
    );
    const d = await getDeployment(sluice, 'default', 'test-cr');
    expect(d.spec.maxJobCreationAttempts).toBe(5);
    expect(d.spec.template.spec.parallelism).toBe(3);
    expect(d.metadata.displayName).toBe('abc');
    expect(d.spec.maxSavepointCreationAttempts).toBe(999);
    // ...and the patched result is what the CR shows.
    expect((cr.spec.deployment.spec as { template: { spec: { parallelism?: number } } }).template.spec.parallelism).toBe(3);
  });

  it('erases invalid userMetadata keys after reconciliation', async () => {
    await kubectlOk([
      '-n',
      ns,
      'patch',
      'vvpdeployment',
      'test-cr',
      '--type',
      'merge',
      '-p',
      JSON.stringify({
        spec: {
          deployment: {
            userMetadata: {
              id: 'cf2047ed-cb55-4e41-bb53-9ef91959214e',
              resourceVersion: 20,
              createdAt: '2023-07-14T09:40:41.583995Z',
              labels: { team: 'a' },
            },
          },
        },
      }),
    ]);
    const cr = await waitCr(
      sluice,
      ns,
      'test-cr',
      (c) => (c.spec.deployment.userMetadata?.labels?.team === 'a' && !('id' in c.spec.deployment.userMetadata) ? c : undefined),
      'invalid keys erased',
    );
    expect(Object.keys(cr.spec.deployment.userMetadata!).sort()).toEqual(['displayName', 'labels', 'name', 'namespace']);
    const d = await getDeployment(sluice, 'default', 'test-cr');
    expect(d.metadata.labels).toEqual({ team: 'a' });
    expect(d.metadata.id).not.toBe('cf2047ed-cb55-4e41-bb53-9ef91959214e');
  });

  it('carries a status change from the pods back to the CR', async () => {
    await kubectlOk([
      '-n',
      ns,
      'patch',
      'vvpdeployment',
      'test-cr',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { deployment: { spec: { state: 'RUNNING' } } } }),
    ]);
    const running = await waitCr(
      sluice,
      ns,
      'test-cr',
      (c) => (c.status?.customResourceStatus?.statusState === 'RUNNING' ? c : undefined),
      'CR statusState RUNNING',
      60_000,
    );
    expect(running.status!.customResourceStatus!.observedSpecState).toBe('RUNNING');
    expect(running.status!.deploymentStatus!.running?.jobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(running.status!.deploymentSystemMetadata!.annotations['com.dataartisans.appmanager.controller.deployment.transitioning']).toBe(
      'false',
    );
    const pods = await sluice.kube.core.listNamespacedPod({
      namespace: ns,
      labelSelector: `jobId=${running.status!.deploymentStatus!.running!.jobId}`,
    });
    expect(pods.items.length).toBeGreaterThanOrEqual(2);
    expect(pods.items.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))).toBe(true);

    await kubectlOk([
      '-n',
      ns,
      'patch',
      'vvpdeployment',
      'test-cr',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { deployment: { spec: { state: 'CANCELLED' } } } }),
    ]);
    await waitCr(
      sluice,
      ns,
      'test-cr',
      (c) => c.status?.customResourceStatus?.statusState === 'CANCELLED',
      'CR statusState CANCELLED',
      60_000,
    );
  });

  it('stops syncing the spec when CR syncing is turned off for the Deployment, but keeps mirroring status', async () => {
    await rest(sluice, '/api/v1/namespaces/default/deployments/test-cr', {
      method: 'PATCH',
      body: JSON.stringify({ metadata: { annotations: { 'sluice.dev/cr-syncing': 'false' } } }),
    });
    await waitCr(sluice, ns, 'test-cr', (c) => c.status?.customResourceStatus?.customResourceState === 'IDLING', 'IDLING');
    await kubectlOk([
      '-n',
      ns,
      'patch',
      'vvpdeployment',
      'test-cr',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { deployment: { spec: { maxJobCreationAttempts: 42 } } } }),
    ]);
    await settle(sluice);
    expect((await getDeployment(sluice, 'default', 'test-cr')).spec.maxJobCreationAttempts).toBe(5);
    const idle = (await crsIn(sluice, ns).get('test-cr'))!;
    expect(condition(idle)).toMatchObject({ status: 'False', reason: 'SyncingOff' });
    expect(idle.status!.observedGeneration).toBeLessThan(idle.metadata.generation!);

    // Changed in the platform meanwhile: the status still reaches the CR.
    await rest(sluice, '/api/v1/namespaces/default/deployments/test-cr', {
      method: 'PATCH',
      body: JSON.stringify({ spec: { state: 'SUSPENDED' } }),
    });
    await waitCr(
      sluice,
      ns,
      'test-cr',
      (c) =>
        c.status?.customResourceStatus?.observedSpecState === 'SUSPENDED' && c.status.customResourceStatus.statusState === 'SUSPENDED'
          ? c
          : undefined,
      'status mirrored while IDLING',
    );

    // Syncing on again: the CR's spec wins.
    await rest(sluice, '/api/v1/namespaces/default/deployments/test-cr', {
      method: 'PATCH',
      body: JSON.stringify({ metadata: { annotations: { 'sluice.dev/cr-syncing': 'true' } } }),
    });
    const back = await synced(sluice, ns, 'test-cr');
    expect(back.status!.customResourceStatus!.customResourceState).toBe('SYNCING');
    const d = await getDeployment(sluice, 'default', 'test-cr');
    expect(d.spec).toMatchObject({ maxJobCreationAttempts: 42, state: 'CANCELLED' });
  });

  it('runs the "Simple Namespace Example": a CR in vvp-jobs-some-user for vNamespace vvp-some-user', async () => {
    await rest(sluice, '/namespaces/v1/namespaces', { method: 'POST', body: JSON.stringify({ name: 'namespaces/vvp-some-user' }) });
    await createTarget(sluice, 'vvp-some-user', jobsNs, jobsNs);
    await kubectlOk(['-n', jobsNs, 'apply', '-f', examplePath('operator/vvp-deployment-team-namespace.yaml')]);
    const cr = await waitCr(
      sluice,
      jobsNs,
      'test-cr',
      (c) => (c.status?.customResourceStatus?.statusState === 'CANCELLED' ? c : undefined),
      'CR status CANCELLED',
    );
    const d = await getDeployment(sluice, 'vvp-some-user', 'test-cr');
    expect(d.spec).toMatchObject({ state: 'CANCELLED', deploymentTargetName: jobsNs });
    expect(cr.status!.customResourceStatus).toMatchObject({
      vvpNamespace: 'vvp-some-user',
      deploymentId: d.metadata.id,
      customResourceState: 'SYNCING',
    });
    // The same CR name in the other watched namespace is another Deployment (in another vNamespace).
    expect((await getDeployment(sluice, 'default', 'test-cr')).metadata.id).not.toBe(d.metadata.id);
  });

  it('claimed each watched namespace with the ConfigMap ververica-operator-leader-election', async () => {
    for (const namespace of [ns, jobsNs]) {
      const cm = await sluice.kube.core.readNamespacedConfigMap({ namespace, name: 'ververica-operator-leader-election' });
      expect(cm.data).toEqual({ identity: 'vvp-1' });
      expect(JSON.parse(cm.metadata!.annotations!['control-plane.alpha.kubernetes.io/leader']!)).toMatchObject({ holderIdentity: 'vvp-1' });
    }
  });
});
