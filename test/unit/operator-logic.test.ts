import { describe, expect, it } from 'vitest';
import {
  crFieldMessage,
  crStatus,
  decideSync,
  identify,
  initialSavepointFor,
  needsSync,
  pickUserMetadata,
  planSync,
  reservedAnnotations,
  syncingOff,
  systemMetadata,
  writeBack,
} from '../../functions/onCrChanged/logic.js';
import type { VvpDeploymentCr } from '../../shared/operator/cr.js';
import type { DeploymentResource } from '../../shared/model/index.js';

const NOW = '2026-11-21T10:00:00.000Z';
const ID = '0b7e4f8e-6b38-4c36-9d46-6f0c1c5b2a11';

/** VVP's example CR (examples/operator/vvp-deployment.yaml), as read from the API server. */
function testCr(
  over: {
    spec?: Partial<VvpDeploymentCr['spec']>;
    generation?: number;
    status?: VvpDeploymentCr['status'];
    annotations?: Record<string, string>;
  } = {},
): VvpDeploymentCr {
  return {
    apiVersion: 'ververica.platform/v1',
    kind: 'VvpDeployment',
    metadata: {
      name: 'test-cr',
      namespace: 'ops',
      generation: over.generation ?? 1,
      ...(over.annotations ? { annotations: over.annotations } : {}),
    },
    spec: {
      syncingMode: 'PATCH',
      deployment: {
        userMetadata: { name: 'test-cr', namespace: 'default' },
        spec: {
          state: 'CANCELLED',
          deploymentTargetName: 'test-target',
          maxJobCreationAttempts: 99,
          template: { spec: { artifact: { jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar', kind: 'JAR' } } },
        },
      },
      initFields: { userMetadata: { displayName: 'abc' }, spec: { maxSavepointCreationAttempts: 999 } },
      ...over.spec,
    },
    ...(over.status ? { status: over.status } : {}),
  };
}

/** The Deployment test-cr.yaml creates, as stored. */
function stored(
  over: {
    spec?: Record<string, unknown>;
    metadata?: Record<string, unknown>;
    status?: DeploymentResource['status'];
    generation?: number;
    annotations?: Record<string, string>;
  } = {},
): DeploymentResource {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'FlinkDeployment',
    metadata: {
      name: 'default.test-cr-aebce44b',
      namespace: 'sluice-system',
      generation: over.generation ?? 2,
      annotations: over.annotations ?? { 'sluice.dev/managed-by-cr': 'ops/test-cr' },
    },
    spec: {
      metadata: {
        id: ID,
        name: 'test-cr',
        namespace: 'default',
        displayName: 'abc',
        labels: {},
        annotations: {},
        createdAt: NOW,
        modifiedAt: NOW,
        ...over.metadata,
      },
      spec: {
        state: 'CANCELLED',
        deploymentTargetName: 'test-target',
        maxJobCreationAttempts: 99,
        maxSavepointCreationAttempts: 999,
        template: { spec: { artifact: { kind: 'JAR', jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar' } } },
        ...over.spec,
      } as DeploymentResource['spec']['spec'],
    },
    ...(over.status ? { status: over.status } : {}),
  };
}

describe('which Deployment a CR names', () => {
  it('is userMetadata.namespace + userMetadata.name', () => {
    expect(identify(testCr())).toEqual({ ok: true, vns: 'default', name: 'test-cr' });
  });

  it('refuses a CR without them, or with a namespace that cannot be a vNamespace, naming the field', () => {
    const cr = testCr();
    delete cr.spec.deployment.userMetadata!.namespace;
    expect(identify(cr)).toMatchObject({
      ok: false,
      condition: { reason: 'InvalidSpec', message: expect.stringMatching(/^spec\.deployment\.userMetadata\.namespace: required/) },
    });
    const bad = testCr();
    bad.spec.deployment.userMetadata!.namespace = 'Not_A_Namespace';
    expect(identify(bad)).toMatchObject({
      ok: false,
      condition: { message: expect.stringMatching(/^spec\.deployment\.userMetadata\.namespace: not a valid namespace name/) },
    });
  });
});

describe('userMetadata', () => {
  it('keeps only name, namespace, displayName, labels, annotations', () => {
    expect(
      pickUserMetadata({
        name: 'a',
        namespace: 'b',
        displayName: 'c',
        labels: { x: 'y' },
        annotations: {},
        id: ID,
        resourceVersion: 3,
        createdAt: NOW,
      }),
    ).toEqual({
      name: 'a',
      namespace: 'b',
      displayName: 'c',
      labels: { x: 'y' },
      annotations: {},
    });
  });

  it('finds the platform-controlled annotations, in the deployment and in initFields', () => {
    const cr = testCr();
    cr.spec.deployment.userMetadata!.annotations = {
      'com.dataartisans.appmanager.controller.deployment.transitioning': 'true',
      mine: 'ok',
    };
    cr.spec.initFields!.userMetadata = { annotations: { 'com.dataartisans.appmanager.controller.deployment.spec.version': '4' } };
    expect(reservedAnnotations(cr)).toEqual([
      'spec.deployment.userMetadata.annotations["com.dataartisans.appmanager.controller.deployment.transitioning"]',
      'spec.initFields.userMetadata.annotations["com.dataartisans.appmanager.controller.deployment.spec.version"]',
    ]);
    expect(planSync({ cr, firstAttach: true, linked: false })).toMatchObject({
      action: 'refuse',
      condition: { reason: 'ReservedAnnotations' },
    });
  });
});

describe('planning a sync', () => {
  it('refuses a spec nested deeper than 64 levels before merging it, and plans one at the limit', () => {
    const nested = (levels: number) => {
      let v: Record<string, unknown> = {};
      for (let i = 1; i < levels; i++) v = { a: v };
      return v;
    };
    // spec → deployment → spec → template → spec → kubernetes: 6 levels before `pods`.
    const at = (levels: number) => {
      const cr = testCr();
      (cr.spec.deployment.spec as Record<string, unknown>).template = { spec: { kubernetes: { pods: nested(levels - 6) } } };
      return planSync({ cr, firstAttach: true, linked: false });
    };
    expect(at(5000)).toEqual({
      action: 'refuse',
      condition: expect.objectContaining({ reason: 'InvalidSpec', message: 'spec is nested more than 64 levels deep' }),
    });
    expect(at(65)).toMatchObject({ action: 'refuse', condition: { reason: 'InvalidSpec' } });
    expect(at(64)).not.toMatchObject({ condition: { message: expect.stringMatching(/nested/) } });
  });

  it('creates a missing Deployment from the CR with initFields merged in (PATCH mode)', () => {
    const plan = planSync({ cr: testCr(), firstAttach: true, linked: false });
    expect(plan).toMatchObject({
      action: 'create',
      body: {
        metadata: { name: 'test-cr', namespace: 'default', displayName: 'abc' },
        spec: { maxJobCreationAttempts: 99, maxSavepointCreationAttempts: 999 },
      },
    });
  });

  it('ignores initFields in PUT mode', () => {
    const plan = planSync({ cr: testCr({ spec: { syncingMode: 'PUT' } }), firstAttach: true, linked: false });
    expect(plan.action).toBe('create');
    expect(plan.action === 'create' && plan.body.metadata.displayName).toBeUndefined();
    expect(plan.action === 'create' && plan.body.spec.maxSavepointCreationAttempts).toBeUndefined();
  });

  it('never applies initFields to an existing Deployment', () => {
    const cr = testCr();
    cr.spec.initFields = { userMetadata: { displayName: 'other' } };
    const plan = planSync({ cr, current: stored(), firstAttach: false, linked: true });
    expect(plan).toEqual({ action: 'none', reason: expect.any(String) });
  });

  it("patches (PATCH mode), sending only the CR's own content", () => {
    const cr = testCr();
    (cr.spec.deployment.spec as Record<string, unknown>).maxJobCreationAttempts = 5;
    cr.spec.deployment.userMetadata = { ...cr.spec.deployment.userMetadata, id: ID } as never;
    const plan = planSync({ cr, current: stored(), firstAttach: false, linked: true });
    expect(plan).toMatchObject({
      action: 'patch',
      body: { metadata: { name: 'test-cr', namespace: 'default' }, spec: { maxJobCreationAttempts: 5 } },
    });
    expect(plan.action === 'patch' && 'id' in plan.body.metadata).toBe(false);
  });

  it('PUT mode: patches on the first sync into an existing Deployment, replaces afterwards', () => {
    const cr = testCr({ spec: { syncingMode: 'PUT' } });
    expect(planSync({ cr, current: stored(), firstAttach: true, linked: false }).action).toBe('patch');
    // The CR lacks displayName and maxSavepointCreationAttempts: a replace removes them.
    expect(planSync({ cr, current: stored(), firstAttach: false, linked: true })).toMatchObject({
      action: 'replace',
      body: { metadata: { name: 'test-cr' } },
    });
  });

  it('writes nothing when the result equals the Deployment, unless it is not yet linked to the CR', () => {
    const cr = testCr();
    expect(planSync({ cr, current: stored(), firstAttach: false, linked: true }).action).toBe('none');
    expect(planSync({ cr, current: stored(), firstAttach: false, linked: false }).action).toBe('patch');
  });

  it('compares after normalisation (sqlscript is stored as SQLSCRIPT)', () => {
    const cr = testCr();
    (cr.spec.deployment.spec as { template: unknown }).template = { spec: { artifact: { kind: 'sqlscript', sqlScript: 'SELECT 1' } } };
    const d = stored({ spec: { template: { spec: { artifact: { kind: 'SQLSCRIPT', sqlScript: 'SELECT 1' } } } } });
    expect(planSync({ cr, current: d, firstAttach: false, linked: true }).action).toBe('none');
  });

  it("refuses what the model refuses and the CRD schema cannot say, naming the CR's fields", () => {
    const cr = testCr();
    Object.assign(cr.spec.deployment.spec!, { maxJobCreationAttempts: 0, sessionClusterName: 'sc' });
    const plan = planSync({ cr, firstAttach: true, linked: false });
    expect(plan).toMatchObject({ action: 'refuse', condition: { type: 'Synced', status: 'False', reason: 'InvalidSpec' } });
    const message = plan.action === 'refuse' ? plan.condition.message : '';
    expect(message).toContain('spec.deployment.spec.maxJobCreationAttempts: must be >= 1');
    expect(message).toContain('spec.deployment.spec.sessionClusterName');
  });

  it("refuses creating a Deployment without a state, but a PATCH keeps the Deployment's", () => {
    const cr = testCr();
    delete (cr.spec.deployment.spec as Record<string, unknown>).state;
    expect(planSync({ cr, firstAttach: true, linked: false })).toMatchObject({
      action: 'refuse',
      condition: { message: expect.stringContaining('spec.deployment.spec.state: expected one of RUNNING, SUSPENDED, CANCELLED') },
    });
    expect(planSync({ cr, current: stored(), firstAttach: false, linked: true }).action).toBe('none');
  });
});

describe("the initial savepoint (VVP's conditions)", () => {
  const withSavepoint = (spec: Record<string, unknown> = {}) => {
    const cr = testCr({ spec: { initialSavepointSpec: { savepointLocation: 's3://bucket/path/to/savepoint-abc123' } } });
    Object.assign(cr.spec.deployment.spec!, spec);
    return cr;
  };

  it('is created with a new CANCELLED Deployment whose restore strategy is not NONE', () => {
    expect(planSync({ cr: withSavepoint(), firstAttach: true, linked: false })).toMatchObject({
      action: 'create',
      initialSavepoint: { savepointLocation: 's3://bucket/path/to/savepoint-abc123' },
    });
    expect(
      planSync({ cr: withSavepoint({ restoreStrategy: { kind: 'LATEST_SAVEPOINT' } }), firstAttach: true, linked: false }),
    ).toMatchObject({ initialSavepoint: expect.any(Object) });
  });

  it('is not created otherwise', () => {
    for (const spec of [{ state: 'RUNNING' }, { state: 'SUSPENDED' }, { restoreStrategy: { kind: 'NONE' } }]) {
      const cr = withSavepoint(spec);
      expect(initialSavepointFor(cr, { metadata: {}, spec: cr.spec.deployment.spec! }), JSON.stringify(spec)).toBeUndefined();
    }
    // The Deployment exists already: no create, no savepoint.
    const plan = planSync({ cr: withSavepoint(), current: stored(), firstAttach: true, linked: false });
    expect(plan.action).toBe('patch');
    expect('initialSavepoint' in plan).toBe(false);
  });
});

describe('when to sync', () => {
  const syncedStatus = (generation: number) => ({
    observedGeneration: generation,
    customResourceStatus: { customResourceState: 'SYNCING' as const, deploymentId: ID },
  });

  it('syncs a new generation, a missing Deployment, after IDLING, another Deployment, or an unlinked one', () => {
    const d = stored();
    expect(needsSync(testCr({ generation: 2, status: syncedStatus(2) }), d, true)).toBe(false);
    expect(needsSync(testCr({ generation: 3, status: syncedStatus(2) }), d, true)).toBe(true);
    expect(needsSync(testCr({ generation: 2, status: syncedStatus(2) }), undefined, true)).toBe(true);
    expect(
      needsSync(
        testCr({
          generation: 2,
          status: { ...syncedStatus(2), customResourceStatus: { customResourceState: 'IDLING', deploymentId: ID } },
        }),
        d,
        true,
      ),
    ).toBe(true);
    expect(
      needsSync(
        testCr({
          generation: 2,
          status: { ...syncedStatus(2), customResourceStatus: { customResourceState: 'SYNCING', deploymentId: 'other' } },
        }),
        d,
        true,
      ),
    ).toBe(true);
    expect(needsSync(testCr({ generation: 2, status: syncedStatus(2) }), d, false)).toBe(true);
  });

  it("turns syncing off by the Deployment's annotation or the CR's", () => {
    expect(syncingOff(testCr(), stored())).toBe(false);
    expect(syncingOff(testCr(), stored({ metadata: { annotations: { 'sluice.dev/cr-syncing': 'false' } } }))).toBe(true);
    expect(syncingOff(testCr({ annotations: { 'sluice.dev/cr-syncing': 'false' } }), undefined)).toBe(true);
    expect(syncingOff(testCr(), stored({ metadata: { annotations: { 'sluice.dev/cr-syncing': 'true' } } }))).toBe(false);
  });
});

describe('deciding a sync', () => {
  const ours = { 'sluice.dev/managed-by-cr': 'ops/test-cr' };
  const synced = (generation: number) => ({
    observedGeneration: generation,
    customResourceStatus: { customResourceState: 'SYNCING' as const, deploymentId: ID },
  });
  const observe = (cr: VvpDeploymentCr, deployment?: DeploymentResource, otherManager?: { namespace: string; name: string }) =>
    decideSync({ cr, vns: 'default', name: 'test-cr', ...(deployment ? { deployment } : {}), ...(otherManager ? { otherManager } : {}) });

  it("creates a missing Deployment, marking it as this CR's", () => {
    const decision = observe(testCr());
    expect(decision).toMatchObject({
      kind: 'sync',
      write: { action: 'create', annotations: { 'sluice.dev/managed-by-cr': 'ops/test-cr' } },
      synced: {
        type: 'Synced',
        status: 'True',
        reason: 'Synced',
        message: 'synced into Deployment test-cr in namespace default (PATCH mode)',
      },
    });
  });

  it('marks a Deployment created with an initial savepoint, so that a later step records it', () => {
    const cr = testCr({ spec: { initialSavepointSpec: { savepointLocation: 's3://b/sp-1' } } });
    const decision = observe(cr);
    expect(decision.kind === 'sync' && decision.write?.annotations).toEqual({
      'sluice.dev/managed-by-cr': 'ops/test-cr',
      'sluice.dev/initial-savepoint': JSON.stringify({ savepointLocation: 's3://b/sp-1' }),
    });
  });

  it("patches the Deployment with a new generation's content (PATCH mode)", () => {
    const decision = observe(
      testCr({ generation: 2, status: synced(1) }),
      stored({ annotations: ours, spec: { maxJobCreationAttempts: 5 } }),
    );
    expect(decision).toMatchObject({ kind: 'sync', write: { action: 'patch' } });
  });

  it('only mirrors the status when this generation is synced into the linked Deployment', () => {
    expect(observe(testCr({ generation: 2, status: synced(2) }), stored({ annotations: ours }))).toEqual({
      kind: 'mirror',
      reason: 'status mirrored',
    });
  });

  it('syncs without a write when the Deployment has the content already, so the CR still records the generation', () => {
    const decision = observe(testCr({ generation: 3, status: synced(2) }), stored({ annotations: ours }));
    expect(decision).toMatchObject({ kind: 'sync', synced: { status: 'True' } });
    expect(decision.kind === 'sync' && decision.write).toBeUndefined();
  });

  it('holds (writes nothing, the CR idles) while another CR manages the Deployment', () => {
    const decision = observe(testCr(), stored({ annotations: { 'sluice.dev/managed-by-cr': 'ops/other' } }), {
      namespace: 'ops',
      name: 'other',
    });
    expect(decision).toMatchObject({ kind: 'hold', synced: { status: 'False', reason: 'ManagedByAnotherCr' } });
    expect(decision.reason).toBe(
      'Deployment test-cr in namespace default is managed by VvpDeployment ops/other: only one CR may manage a Deployment',
    );
  });

  it('holds while syncing is off, saying where it was turned off', () => {
    const byDeployment = observe(
      testCr({ generation: 2 }),
      stored({ annotations: ours, metadata: { annotations: { 'sluice.dev/cr-syncing': 'false' } } }),
    );
    expect(byDeployment).toMatchObject({ kind: 'hold', synced: { reason: 'SyncingOff' }, reason: 'syncing off: status mirrored' });
    expect(byDeployment.kind === 'hold' && byDeployment.synced.message).toMatch(/"false" on the Deployment/);
    const byCr = observe(testCr({ annotations: { 'sluice.dev/cr-syncing': 'false' } }));
    expect(byCr.kind === 'hold' && byCr.synced.message).toMatch(/"false" on the CR/);
  });

  it('refuses a CR whose content the model refuses, naming its fields, and writes nothing', () => {
    const cr = testCr();
    Object.assign(cr.spec.deployment.spec!, { maxJobCreationAttempts: 0 });
    const decision = observe(cr);
    expect(decision).toMatchObject({ kind: 'refuse', synced: { status: 'False', reason: 'InvalidSpec' } });
    expect(decision.reason).toBe('not synced: spec.deployment.spec.maxJobCreationAttempts: must be >= 1');
  });
});

describe('writing the result back into the CR', () => {
  it('shows the whole Deployment, erasing invalid userMetadata keys', () => {
    const cr = testCr();
    cr.spec.deployment.userMetadata = { ...cr.spec.deployment.userMetadata, id: ID, resourceVersion: 3 } as never;
    const back = writeBack(cr, stored());
    expect(back).toEqual({
      userMetadata: { name: 'test-cr', namespace: 'default', displayName: 'abc' },
      spec: expect.objectContaining({ maxSavepointCreationAttempts: 999, maxJobCreationAttempts: 99 }),
    });
  });

  it('leaves empty labels/annotations out unless the CR has them, and is undefined when nothing changes', () => {
    const cr = testCr();
    const once = writeBack(cr, stored())!;
    expect(writeBack({ ...cr, spec: { ...cr.spec, deployment: once } }, stored())).toBeUndefined();
    cr.spec.deployment.userMetadata!.labels = {};
    expect(writeBack(cr, stored())!.userMetadata).toHaveProperty('labels', {});
  });

  it("keeps the CR's other keys of spec.deployment (apiVersion, kind)", () => {
    const cr = testCr();
    Object.assign(cr.spec.deployment, { apiVersion: 'v1', kind: 'Deployment' });
    expect(writeBack(cr, stored())).toMatchObject({ apiVersion: 'v1', kind: 'Deployment' });
  });
});

describe("the CR's status", () => {
  it("carries the system metadata of VVP's status example, with the transitioning annotations", () => {
    expect(systemMetadata(stored({ generation: 4 }))).toEqual({
      id: ID,
      createdAt: NOW,
      modifiedAt: NOW,
      resourceVersion: 4,
      annotations: {
        'com.dataartisans.appmanager.controller.deployment.spec.version': '4',
        'com.dataartisans.appmanager.controller.deployment.transitioning': 'false',
      },
      labels: {},
    });
    const moving = stored({ status: { state: 'TRANSITIONING', running: { jobId: ID, transitionTime: '2023-07-14T09:46:30.185Z' } } });
    expect(systemMetadata(moving).annotations).toEqual({
      'com.dataartisans.appmanager.controller.deployment.spec.version': '2',
      'com.dataartisans.appmanager.controller.deployment.transitioning': 'true',
      'com.dataartisans.appmanager.controller.deployment.transitioning.since': '1689327990185',
    });
  });

  it("mirrors the VVP status (without Sluice's bookkeeping) and the CR's own state", () => {
    const d = stored({ status: { state: 'RUNNING', running: { jobId: ID, transitionTime: NOW }, sluice: { jobSeq: 1 } } });
    d.spec.spec.state = 'RUNNING';
    const status = crStatus({
      cr: testCr(),
      vns: 'default',
      deployment: d,
      state: 'SYNCING',
      observedGeneration: 1,
      synced: { type: 'Synced', status: 'True', reason: 'Synced', message: 'ok' },
      mirror: true,
      now: NOW,
    });
    expect(status).toEqual({
      observedGeneration: 1,
      deploymentStatus: { state: 'RUNNING', running: { jobId: ID, transitionTime: NOW } },
      deploymentSystemMetadata: expect.objectContaining({ id: ID }),
      customResourceStatus: {
        customResourceState: 'SYNCING',
        deploymentId: ID,
        observedSpecState: 'RUNNING',
        statusState: 'RUNNING',
        vvpNamespace: 'default',
      },
      conditions: [{ type: 'Synced', status: 'True', reason: 'Synced', message: 'ok', lastTransitionTime: NOW }],
    });
    // Mirrored again later, unchanged: nothing to write.
    expect(
      crStatus({
        cr: { ...testCr(), status },
        vns: 'default',
        deployment: d,
        state: 'SYNCING',
        observedGeneration: 1,
        mirror: true,
        now: '2030-01-01T00:00:00Z',
      }),
    ).toEqual(status);
  });

  it('reports a FAILED Deployment as a condition, and no deploymentStatus before there is a state', () => {
    const failed = stored({
      status: { state: 'FAILED', failure: { reason: 'DeploymentPatchSetFailed', message: 'deploymentPatchSet operation 0 failed' } },
    });
    const status = crStatus({ cr: testCr(), vns: 'default', deployment: failed, mirror: true, now: NOW });
    expect(status.conditions).toEqual([
      {
        type: 'DeploymentFailed',
        status: 'True',
        reason: 'DeploymentPatchSetFailed',
        message: 'deploymentPatchSet operation 0 failed',
        lastTransitionTime: NOW,
      },
    ]);
    expect(crStatus({ cr: { ...testCr(), status }, vns: 'default', deployment: stored(), mirror: true, now: NOW }).conditions).toEqual([]);
    expect(crStatus({ cr: testCr(), vns: 'default', deployment: stored(), mirror: true, now: NOW })).not.toHaveProperty('deploymentStatus');
  });

  it('without mirroring (not authorized any more) shows nothing of the Deployment, only why', () => {
    const failed = stored({ status: { state: 'FAILED', failure: { reason: 'JobFailed', message: 'x' } } });
    const prev = crStatus({ cr: testCr(), vns: 'default', deployment: failed, observedGeneration: 1, mirror: true, now: NOW });
    expect(prev.customResourceStatus).toBeDefined();
    const status = crStatus({
      cr: testCr({ status: prev }),
      synced: { type: 'Synced', status: 'False', reason: 'Unauthenticated', message: 'no API token' },
      mirror: false,
      now: NOW,
    });
    expect(status).toEqual({
      observedGeneration: 1,
      conditions: [{ type: 'Synced', status: 'False', reason: 'Unauthenticated', message: 'no API token', lastTransitionTime: NOW }],
    });
  });
});

describe('Platform refusals on a CR', () => {
  it("name the CR's fields", () => {
    expect(crFieldMessage('spec.deploymentTargetName: deployment target x not found in namespace default')).toBe(
      'spec.deployment.spec.deploymentTargetName: deployment target x not found in namespace default',
    );
    expect(crFieldMessage('metadata.name cannot change (is a)')).toBe('spec.deployment.userMetadata.name cannot change (is a)');
    expect(crFieldMessage('deploymentPatchSet operation 0 (add /x) failed: y')).toBe('deploymentPatchSet operation 0 (add /x) failed: y');
  });
});
