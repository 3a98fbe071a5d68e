import { describe, expect, it } from 'vitest';
import { effectiveSpec, hasEffectiveSpec } from '../../functions/applyPatchSet/logic.js';
import { roleBinding, targetNamespace, targetStatus } from '../../functions/onDeploymentTargetCreate/logic.js';
import { targetUsers } from '../../shared/vvp/platform/targets.js';
import type { JobResource } from '../../shared/model/index.js';
import { deployment, target, withEffective } from './fixtures.js';

describe('effective spec (applyPatchSet)', () => {
  it("records the example patch set's entries for the deployment's generation, with the target's namespace", () => {
    const t = target([
      { op: 'add', path: '/spec/template/spec/flinkConfiguration/state.checkpoints.dir', value: 's3://my-bucket/checkpoints' },
      { op: 'add', path: '/spec/template/spec/flinkConfiguration/state.savepoints.dir', value: 's3://my-bucket/savepoints' },
    ]);
    const e = effectiveSpec(deployment({}, 3), t, 'sluice-system');
    expect(e.generation).toBe(3);
    expect(e.error).toBeUndefined();
    expect(e.targetNamespace).toBe('vvp-jobs-team-1');
    expect(e.spec?.template.spec.flinkConfiguration).toEqual({
      'state.checkpoints.dir': 's3://my-bucket/checkpoints',
      'state.savepoints.dir': 's3://my-bucket/savepoints',
    });
  });

  it('uses the platform namespace when the target names none', () => {
    const t = target();
    delete t.spec.spec.kubernetes;
    expect(effectiveSpec(deployment(), t, 'sluice-system').targetNamespace).toBe('sluice-system');
  });

  it('records the failing operation instead of a spec', () => {
    const e = effectiveSpec(deployment(), target([{ op: 'replace', path: '/spec/template/spec/logging/x', value: 1 }]), 'sluice-system');
    expect(e.spec).toBeUndefined();
    expect(e.error).toMatch(/^deploymentPatchSet operation 0 \(replace \/spec\/template\/spec\/logging\/x\) failed/);
  });

  it('records a missing target, naming it', () => {
    expect(
      effectiveSpec(deployment({ deploymentTargetName: 'nope', deploymentTargetId: undefined }), undefined, 'sluice-system').error,
    ).toBe('deployment target nope does not exist in namespace vvp-namespace-1');
  });
});

describe('a Deployment settled for applyPatchSet (a resync passes it by)', () => {
  it('is one whose generation has its effective spec; a new generation is not', () => {
    expect(hasEffectiveSpec(deployment({}, 3))).toBe(false);
    const recorded = withEffective(deployment({}, 3));
    expect(hasEffectiveSpec(recorded)).toBe(true);
    expect(hasEffectiveSpec({ ...recorded, metadata: { ...recorded.metadata, generation: 4 } })).toBe(false);
  });
});

describe('deployment target status', () => {
  it('is READY with the namespace and bindings, keeping the transition time while unchanged', () => {
    const t = target();
    const s1 = targetStatus(t, { ready: true, namespace: 'vvp-jobs-team-1', bindings: ['b'] }, 'T1');
    expect(s1).toMatchObject({
      state: 'READY',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 'T1' }],
      sluice: { namespace: 'vvp-jobs-team-1', bindings: ['b'] },
    });
    const s2 = targetStatus({ ...t, status: s1 }, { ready: true, namespace: 'vvp-jobs-team-1', bindings: ['b'] }, 'T2');
    expect(s2).toEqual(s1);
  });

  it('is NOT_READY with the reason', () => {
    const s = targetStatus(
      target(),
      { ready: false, reason: 'NamespaceMissing', message: 'namespace x does not exist and Sluice may not create it' },
      'T',
    );
    expect(s).toMatchObject({ state: 'NOT_READY', conditions: [{ status: 'False', reason: 'NamespaceMissing' }] });
  });

  it('binds a function ClusterRole to its service account in the target namespace only', () => {
    expect(targetNamespace(target(), 'sluice-system')).toBe('vvp-jobs-team-1');
    expect(roleBinding('vvp-jobs-team-1', 'sluice-deployment-step-targets', 'sluice-deployment-step', 'sluice-system')).toMatchObject({
      kind: 'RoleBinding',
      metadata: { name: 'sluice-deployment-step-targets', namespace: 'vvp-jobs-team-1' },
      roleRef: { kind: 'ClusterRole', name: 'sluice-deployment-step-targets' },
      subjects: [{ kind: 'ServiceAccount', name: 'sluice-deployment-step', namespace: 'sluice-system' }],
    });
  });
});

describe('what keeps a deployment target from being deleted', () => {
  const deleting = { ...deployment(), metadata: { ...deployment().metadata, deletionTimestamp: '2026-11-21T00:00:00Z' } };

  const job = (status: JobResource['status']): JobResource => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'FlinkJob',
    metadata: { name: 'vvp-namespace-1.job', namespace: 'sluice-system' },
    spec: {
      metadata: { id: 'job', name: 'job', namespace: 'vvp-namespace-1', createdAt: '', modifiedAt: '' },
      spec: {
        deploymentId: deployment().spec.metadata.id,
        deploymentName: 'TopSpeedWindowing',
        deploymentObjectName: deployment().metadata.name!,
        targetNamespace: 'vvp-jobs-team-1',
        seq: 1,
        attempt: 1,
        specHash: 'h',
        template: structuredClone(deployment().spec.spec.template),
      },
    },
    status,
  });

  it('is every Deployment using it, and one being deleted only while a job of it still has objects', () => {
    const live = job({ state: 'STARTED' });
    const stopped = job({ state: 'TERMINATED' });
    const cancelledInFlink = job({ state: 'TERMINATED', started: { startedAt: 'T', observedFlinkJobStatus: 'CANCELED' } });
    expect(targetUsers([deployment()], [])).toHaveLength(1);
    expect(targetUsers([deleting], [])).toEqual([]);
    expect(targetUsers([deleting], [stopped])).toEqual([]);
    expect(targetUsers([deleting], [stopped, live])).toEqual([deleting]);
    // Flink cancelled it: its cluster is still there until Sluice cleans it up.
    expect(targetUsers([deleting], [cancelledInFlink])).toEqual([deleting]);
    expect(targetUsers([deleting], [job({ ...cancelledInFlink.status, sluice: { resourcesDeleted: true } })])).toEqual([]);
  });
});
