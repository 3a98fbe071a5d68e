import { describe, expect, it } from 'vitest';
import type { Operation } from 'fast-json-patch';
import { applyPatchSet, describeFailure, isPatchablePath } from '../../shared/vvp/patchset.js';

const deployment = {
  kind: 'Deployment',
  apiVersion: 'v1',
  metadata: { name: 'TopSpeedWindowing', namespace: 'vvp-namespace-1', labels: {} as Record<string, string> },
  spec: {
    state: 'RUNNING',
    deploymentTargetName: 'vvp-jobs-team-1',
    template: { spec: { artifact: { kind: 'JAR', jarUri: 'https://x/y.jar' }, parallelism: 1 } },
  },
};

// VVP's patch-set example, verbatim.
const checkpointDirsPatchSet: Operation[] = [
  { op: 'add', path: '/spec/template/spec/flinkConfiguration/state.checkpoints.dir', value: 's3://my-bucket/checkpoints' },
  { op: 'add', path: '/spec/template/spec/flinkConfiguration/state.savepoints.dir', value: 's3://my-bucket/savepoints' },
];

describe('deployment patch sets', () => {
  it("produces exactly the example's flinkConfiguration entries, without touching the input", () => {
    const result = applyPatchSet(deployment, checkpointDirsPatchSet);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect((result.value.spec.template.spec as Record<string, unknown>).flinkConfiguration).toEqual({
      'state.checkpoints.dir': 's3://my-bucket/checkpoints',
      'state.savepoints.dir': 's3://my-bucket/savepoints',
    });
    expect('flinkConfiguration' in deployment.spec.template.spec).toBe(false);
  });

  it('applies operations in order (a later op sees an earlier one)', () => {
    const result = applyPatchSet(deployment, [
      { op: 'add', path: '/spec/template/spec/parallelism', value: 4 },
      { op: 'copy', from: '/spec/template/spec/parallelism', path: '/spec/template/spec/numberOfTaskManagers' },
      { op: 'test', path: '/spec/template/spec/numberOfTaskManagers', value: 4 },
      { op: 'replace', path: '/spec/template/spec/parallelism', value: 2 },
    ]);
    expect(result.ok && result.value.spec.template.spec).toMatchObject({ parallelism: 2, numberOfTaskManagers: 4 });
  });

  it('names the failing operation: index, op and path', () => {
    const result = applyPatchSet(deployment, [
      ...checkpointDirsPatchSet,
      { op: 'test', path: '/spec/template/spec/parallelism', value: 8 },
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure).toMatchObject({ index: 2, op: 'test', path: '/spec/template/spec/parallelism' });
    expect(describeFailure(result.failure)).toBe(
      'deploymentPatchSet operation 2 (test /spec/template/spec/parallelism) failed: the test did not match',
    );
  });

  it('fails on a path that does not exist', () => {
    const result = applyPatchSet(deployment, [{ op: 'remove', path: '/spec/template/spec/logging/loggingProfile' }]);
    expect(result.ok ? null : result.failure.index).toBe(0);
  });

  it.each([
    '/metadata/namespace',
    '/metadata/id',
    '/metadata/name',
    '/status/state',
    '/kind',
    '/spec/deploymentTargetName',
    '/spec/deploymentTargetId',
    '/spec/sessionClusterName',
    '/spec/template/__proto__/polluted',
  ])('refuses a patch that touches %s', (path) => {
    const result = applyPatchSet(deployment, [{ op: 'add', path, value: 'x' }]);
    expect(result.ok).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a move whose source is protected', () => {
    const result = applyPatchSet(deployment, [{ op: 'move', from: '/spec/deploymentTargetName', path: '/spec/template/spec/entry' }]);
    expect(result.ok ? null : result.failure.message).toMatch(/may only change/);
  });

  it('allows labels and annotations', () => {
    expect(isPatchablePath('/metadata/labels/team')).toBe(true);
    expect(isPatchablePath('/metadata/annotations')).toBe(true);
    const result = applyPatchSet(deployment, [{ op: 'add', path: '/metadata/labels/team', value: 'one' }]);
    expect(result.ok && result.value.metadata.labels).toEqual({ team: 'one' });
  });
});
