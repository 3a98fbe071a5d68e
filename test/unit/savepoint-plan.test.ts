import { describe, expect, it } from 'vitest';
import { type Action, PURPOSE_ANNOTATION, planDeployment, restoreFor } from '../../functions/deploymentStep/logic.js';
import {
  type SavepointRequest,
  attemptTimeoutMs,
  savepointIdFor,
  savepointProgress,
} from '../../functions/deploymentStep/savepoint-plan.js';
import { flinkAtLeast, parseFlinkDuration } from '../../shared/vvp/flink-config.js';
import type {
  DeploymentResource,
  DeploymentSpec,
  JobResource,
  RestoreStrategy,
  SavepointCrStatus,
  SavepointResource,
} from '../../shared/model/index.js';
import { validateDeployment } from '../../shared/vvp/input.js';
import { deployment, jobOf, withEffective } from './fixtures.js';

const NOW = '2026-11-21T10:00:00.000Z';
const DIR = 's3://bucket/savepoints';
const types = (actions: Action[]) => actions.map((a) => a.type);
const of = <T extends Action['type']>(actions: Action[], type: T) =>
  actions.find((a) => a.type === type) as Extract<Action, { type: T }> | undefined;

/** Applies a plan's status write, as the shell would. */
function after(d: DeploymentResource, actions: Action[]): DeploymentResource {
  const write = of(actions, 'writeStatus');
  return write ? { ...d, status: write.status } : d;
}

const template = (d: DeploymentResource, config: Record<string, string> = { 'state.savepoints.dir': DIR }) => ({
  spec: { ...d.spec.spec.template.spec, flinkConfiguration: config },
});

/** VVP's TopSpeedWindowing deployment with a savepoint directory, RUNNING a STARTED job. */
function running(overrides: Partial<DeploymentSpec> = {}): { d: DeploymentResource; job: JobResource } {
  const base = deployment();
  const d0 = withEffective(deployment({ template: template(base), ...overrides }));
  const d1 = after(d0, planDeployment(d0, undefined, NOW).actions);
  const job = jobOf(d1, 'STARTED');
  const d = after(d1, planDeployment(d1, job, NOW).actions);
  expect(d.status?.state).toBe('RUNNING');
  return { d, job };
}

/** The next generation of `d` with `spec` changed (applyPatchSet recorded it). */
function change(d: DeploymentResource, spec: Partial<DeploymentSpec>): DeploymentResource {
  const generation = (d.metadata.generation ?? 1) + 1;
  return withEffective({ ...d, metadata: { ...d.metadata, generation }, spec: { ...d.spec, spec: { ...d.spec.spec, ...spec } } });
}

const withState = (sp: SavepointResource, status: SavepointCrStatus, location?: string): SavepointResource => ({
  ...sp,
  spec: { ...sp.spec, spec: { ...sp.spec.spec, ...(location ? { savepointLocation: location } : {}) } },
  status,
});

const jobIn = (job: JobResource, state: NonNullable<JobResource['status']>['state']): JobResource => ({
  ...job,
  status: { ...job.status, state },
});

/** A savepoint as the REST API imports it (no purpose annotation). */
function imported(
  d: DeploymentResource,
  id: string,
  origin: SavepointResource['spec']['spec']['savepointOrigin'],
  createdAt: string,
  state: SavepointCrStatus['state'] = 'COMPLETED',
): SavepointResource {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Savepoint',
    metadata: { name: `vvp-namespace-1.${id}`, namespace: 'sluice-system' },
    spec: {
      metadata: { id, name: id, namespace: 'vvp-namespace-1', createdAt, modifiedAt: createdAt },
      spec: { savepointLocation: `s3://elsewhere/${id}`, deploymentId: d.spec.metadata.id, savepointOrigin: origin },
    },
    status: { state },
  };
}

describe('suspending with a savepoint', () => {
  it('records the savepoint, marks the job TERMINATING, then takes it (status TRANSITIONING)', () => {
    const { d, job } = running();
    const d2 = change(d, { state: 'SUSPENDED' });
    const plan = planDeployment(d2, job, NOW, []);
    expect(types(plan.actions)).toEqual(['createSavepoint', 'markJobTerminating', 'writeStatus', 'takeSavepoint']);
    const sp = of(plan.actions, 'createSavepoint')!.savepoint;
    expect(sp.spec.metadata.id).toBe(savepointIdFor(job.spec.metadata.id, 'SUSPEND@2'));
    expect(sp.metadata.name).toBe(`vvp-namespace-1.${sp.spec.metadata.id}`);
    expect(sp.metadata.labels).toEqual({
      'sluice.dev/vnamespace': 'vvp-namespace-1',
      'sluice.dev/id': sp.spec.metadata.id,
      'sluice.dev/deployment-id': d.spec.metadata.id,
    });
    expect(sp.metadata.annotations?.[PURPOSE_ANNOTATION]).toBe('SUSPEND@2');
    expect(sp.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'FlinkDeployment', uid: 'uid-1' });
    expect(sp.spec.spec).toEqual({
      savepointLocation: DIR,
      deploymentId: d.spec.metadata.id,
      jobId: job.spec.metadata.id,
      savepointOrigin: 'SUSPEND',
    });
    expect(of(plan.actions, 'writeStatus')!.status).toMatchObject({ state: 'TRANSITIONING', running: { jobId: job.spec.metadata.id } });
    const take = of(plan.actions, 'takeSavepoint')!;
    expect(take.savepoint).toBe(sp);
    expect(take.request).toEqual<SavepointRequest>({
      stopsJob: true,
      purpose: 'SUSPEND@2',
      targetDirectory: DIR,
      maxAttempts: 4,
      attemptTimeoutMs: 10 * 60_000 + 30_000,
      idempotentTrigger: false, // the example's Flink 1.9 knows no trigger ids
    });
  });

  it('names the same savepoint for a redelivery of the same change (the API server refuses a second)', () => {
    const { d, job } = running();
    const d2 = change(d, { state: 'SUSPENDED' });
    const a = of(planDeployment(d2, job, NOW).actions, 'createSavepoint')!.savepoint;
    const b = of(planDeployment(d2, job, '2030-01-01T00:00:00.000Z').actions, 'createSavepoint')!.savepoint;
    expect(b.metadata.name).toBe(a.metadata.name);
  });

  it('takes maxSavepointCreationAttempts, the checkpoint timeout and idempotent triggers from the spec', () => {
    const base = deployment();
    const artifact = { ...base.spec.spec.template.spec.artifact, flinkVersion: '1.17' };
    const { d, job } = running({
      maxSavepointCreationAttempts: 2,
      template: {
        spec: {
          ...base.spec.spec.template.spec,
          artifact,
          flinkConfiguration: { 'state.savepoints.dir': DIR, 'execution.checkpointing.timeout': '2 s' },
        },
      },
    });
    const take = of(planDeployment(change(d, { state: 'SUSPENDED' }), job, NOW).actions, 'takeSavepoint')!;
    expect(take.request).toMatchObject({ maxAttempts: 2, attemptTimeoutMs: 4000, idempotentTrigger: true });
  });

  it('while it is under way, only follows it, whatever changed meanwhile', () => {
    const { d, job } = running();
    const d2 = change(d, { state: 'SUSPENDED' });
    const first = planDeployment(d2, job, NOW);
    const sp = withState(of(first.actions, 'createSavepoint')!.savepoint, { state: 'STARTED', sluice: { attempt: 1 } });
    const d3 = after(d2, first.actions);
    // The step died after recording the savepoint, before marking the job.
    expect(types(planDeployment(d3, job, NOW, [sp]).actions)).toEqual(['markJobTerminating', 'takeSavepoint']);
    // Redelivered later: the job is TERMINATING.
    expect(types(planDeployment(d3, jobIn(job, 'TERMINATING'), NOW, [sp]).actions)).toEqual(['takeSavepoint']);
    // A newer change (CANCELLED) waits until the savepoint is done: the same one is followed.
    const d4 = change(d3, { state: 'CANCELLED' });
    const plan = planDeployment(d4, jobIn(job, 'TERMINATING'), NOW, [sp]);
    expect(types(plan.actions)).toEqual(['takeSavepoint']);
    expect(of(plan.actions, 'takeSavepoint')!.savepoint.spec.metadata.id).toBe(sp.spec.metadata.id);
    expect(of(plan.actions, 'takeSavepoint')!.request.purpose).toBe('SUSPEND@2');
    // A Savepoint without a status (its status write never happened) is STARTED too.
    expect(types(planDeployment(d3, jobIn(job, 'TERMINATING'), NOW, [{ ...sp, status: undefined }]).actions)).toEqual(['takeSavepoint']);
  });

  it('once COMPLETED, terminates the job and reports SUSPENDED', () => {
    const { d, job } = running();
    const d2 = change(d, { state: 'SUSPENDED' });
    const first = planDeployment(d2, job, NOW);
    const d3 = after(d2, first.actions);
    const sp = withState(of(first.actions, 'createSavepoint')!.savepoint, { state: 'COMPLETED' }, `${DIR}/savepoint-1`);
    const plan = planDeployment(d3, jobIn(job, 'TERMINATING'), NOW, [sp]);
    expect(types(plan.actions)).toEqual(['terminateJob', 'writeStatus']);
    const d4 = after(d3, plan.actions);
    expect(d4.status?.state).toBe('SUSPENDED');
    expect(d4.status?.running).toBeUndefined();
    expect(d4.status?.sluice?.job).toBeUndefined();
    // A CANCELLED that came meanwhile is what is reported then.
    expect(after(d3, planDeployment(change(d3, { state: 'CANCELLED' }), jobIn(job, 'TERMINATING'), NOW, [sp]).actions).status?.state).toBe(
      'CANCELLED',
    );
  });

  it('resumes from it: the next job restores from the SUSPEND savepoint', () => {
    const { d, job } = running({ restoreStrategy: { kind: 'LATEST_SAVEPOINT', allowNonRestoredState: true } });
    const d2 = change(d, { state: 'SUSPENDED' });
    const first = planDeployment(d2, job, NOW);
    const sp = withState(of(first.actions, 'createSavepoint')!.savepoint, { state: 'COMPLETED' }, `${DIR}/savepoint-1`);
    const d3 = after(d2, planDeployment(after(d2, first.actions), jobIn(job, 'TERMINATING'), NOW, [sp]).actions);
    const d4 = change(d3, { state: 'RUNNING' });
    const start = planDeployment(d4, undefined, NOW, [sp]);
    expect(types(start.actions)).toEqual(['writeStatus', 'createJob']);
    const created = of(start.actions, 'createJob')!.job;
    expect(created.spec.spec.seq).toBe(2);
    expect(created.spec.spec.restore).toEqual({
      savepointId: sp.spec.metadata.id,
      location: `${DIR}/savepoint-1`,
      allowNonRestoredState: true,
    });
    // Recorded with the start: re-creating the recorded job restores from the same savepoint.
    const d5 = after(d4, start.actions);
    expect(d5.status?.sluice?.job?.restore?.savepointId).toBe(sp.spec.metadata.id);
    const later = imported(d, 'aaaaaaaa-0000-4000-8000-000000000001', 'COPIED', '2099-01-01T00:00:00.000Z');
    const again = planDeployment(d5, undefined, NOW, [sp, later]);
    expect(types(again.actions)).toEqual(['createJob']);
    expect(of(again.actions, 'createJob')!.job.spec.spec.restore?.savepointId).toBe(sp.spec.metadata.id);
  });

  it('when it FAILED: the job keeps running and the deployment is FAILED with the reason, once', () => {
    const { d, job } = running();
    const d2 = change(d, { state: 'SUSPENDED' });
    const first = planDeployment(d2, job, NOW);
    const d3 = after(d2, first.actions);
    const sp = withState(of(first.actions, 'createSavepoint')!.savepoint, {
      state: 'FAILED',
      failure: { reason: 'SavepointFailed', message: 'failed after 4 attempt(s); the last: Checkpoint Coordinator is suspending' },
    });
    // Still TERMINATING: its pods decide its state again (nothing is deleted).
    const resume = planDeployment(d3, jobIn(job, 'TERMINATING'), NOW, [sp]);
    expect(types(resume.actions)).toEqual(['resumeJob']);
    const plan = planDeployment(d3, job, NOW, [sp]);
    expect(types(plan.actions)).toEqual(['writeStatus']);
    const d4 = after(d3, plan.actions);
    expect(d4.status?.state).toBe('FAILED');
    expect(d4.status?.failure).toMatchObject({ reason: 'SavepointFailed', failedAt: NOW });
    expect(d4.status?.failure?.message).toMatch(
      new RegExp(
        `savepoint ${sp.spec.metadata.id} \\(SUSPEND\\) of job ${job.spec.metadata.id} failed: failed after 4 attempt\\(s\\).*Checkpoint Coordinator is suspending; the job keeps running`,
      ),
    );
    expect(d4.status?.running?.jobId).toBe(job.spec.metadata.id);
    expect(planDeployment(d4, job, '2026-11-21T11:00:00.000Z', [sp]).actions).toEqual([]);
    // A new change of the deployment tries again (a new savepoint); RUNNING keeps the job.
    expect(
      of(planDeployment(change(d4, { state: 'SUSPENDED' }), job, NOW, [sp]).actions, 'createSavepoint')!.savepoint.spec.metadata.id,
    ).not.toBe(sp.spec.metadata.id);
    expect(after(d4, planDeployment(change(d4, { state: 'RUNNING' }), job, NOW, [sp]).actions).status?.state).toBe('RUNNING');
  });

  it('without a savepoint directory: FAILED, saying which key to set; the job keeps running', () => {
    const { d, job } = running({ template: template(deployment(), {}) });
    const plan = planDeployment(change(d, { state: 'SUSPENDED' }), job, NOW);
    expect(types(plan.actions)).toEqual(['writeStatus']);
    const status = of(plan.actions, 'writeStatus')!.status;
    expect(status.state).toBe('FAILED');
    expect(status.failure?.reason).toBe('SavepointDirectoryMissing');
    expect(status.failure?.message).toMatch(/state\.savepoints\.dir/);
    expect(status.running?.jobId).toBe(job.spec.metadata.id);
  });

  it('accepts the Flink 1.19 key for the directory', () => {
    const { d, job } = running({ template: template(deployment(), { 'execution.checkpointing.savepoint-dir': 'file:///sp' }) });
    expect(of(planDeployment(change(d, { state: 'SUSPENDED' }), job, NOW).actions, 'takeSavepoint')!.request.targetDirectory).toBe(
      'file:///sp',
    );
  });

  it('never stops a job for an imported savepoint that names it', () => {
    const { d, job } = running();
    const d2 = after(d, planDeployment(d, job, NOW).actions);
    const foreign = {
      ...imported(d, 'aaaaaaaa-0000-4000-8000-000000000002', 'SUSPEND', NOW),
      spec: { ...imported(d, 'aaaaaaaa-0000-4000-8000-000000000002', 'SUSPEND', NOW).spec },
    };
    foreign.spec.spec = { ...foreign.spec.spec, jobId: job.spec.metadata.id };
    expect(planDeployment(d2, job, NOW, [foreign]).actions).toEqual([]);
  });
});

describe('upgrades', () => {
  const parallelism = (d: DeploymentResource, n: number) => ({ template: { spec: { ...d.spec.spec.template.spec, parallelism: n } } });

  it('STATEFUL: savepoint (SUSPEND_AND_UPGRADE), stop, then the new job restores from it', () => {
    const { d, job } = running({ upgradeStrategy: { kind: 'STATEFUL' } });
    const d2 = change(d, parallelism(d, 2));
    const first = planDeployment(d2, job, NOW);
    expect(types(first.actions)).toEqual(['createSavepoint', 'markJobTerminating', 'writeStatus', 'takeSavepoint']);
    const planned = of(first.actions, 'createSavepoint')!.savepoint;
    expect(planned.spec.spec.savepointOrigin).toBe('SUSPEND_AND_UPGRADE');
    const d3 = after(d2, first.actions);
    const sp = withState(planned, { state: 'COMPLETED' }, `${DIR}/savepoint-2`);
    const plan = planDeployment(d3, jobIn(job, 'TERMINATING'), NOW, [sp]);
    expect(types(plan.actions)).toEqual(['terminateJob', 'writeStatus', 'createJob']);
    const created = of(plan.actions, 'createJob')!.job;
    expect(created.spec.spec.template.spec.parallelism).toBe(2);
    expect(created.spec.spec.restore).toEqual({ savepointId: sp.spec.metadata.id, location: `${DIR}/savepoint-2` });
    expect(created.spec.metadata.id).not.toBe(job.spec.metadata.id);
  });

  it('STATEFUL with a job that has not started: no savepoint, restart from the latest state', () => {
    const { d, job } = running({ upgradeStrategy: { kind: 'STATEFUL' } });
    const plan = planDeployment(change(d, parallelism(d, 3)), jobIn(job, 'STARTING'), NOW);
    expect(types(plan.actions)).toEqual(['terminateJob', 'writeStatus', 'createJob']);
  });

  it('STATEFUL savepoint failure: FAILED, the old job keeps running, no new job', () => {
    const { d, job } = running({ upgradeStrategy: { kind: 'STATEFUL' } });
    const d2 = change(d, parallelism(d, 2));
    const first = planDeployment(d2, job, NOW);
    const sp = withState(of(first.actions, 'createSavepoint')!.savepoint, {
      state: 'FAILED',
      failure: { reason: 'SavepointTimeout', message: 'failed after 4 attempt(s)' },
    });
    const plan = planDeployment(after(d2, first.actions), job, NOW, [sp]);
    expect(types(plan.actions)).toEqual(['writeStatus']);
    expect(of(plan.actions, 'writeStatus')!.status).toMatchObject({
      state: 'FAILED',
      failure: { reason: 'SavepointFailed' },
      running: { jobId: job.spec.metadata.id },
    });
  });

  it('STATELESS takes no savepoint but still restores per the restore strategy', () => {
    const { d, job } = running();
    const old = imported(d, 'aaaaaaaa-0000-4000-8000-000000000003', 'COPIED', '2026-01-01T00:00:00.000Z');
    const plan = planDeployment(change(d, parallelism(d, 2)), job, NOW, [old]);
    expect(types(plan.actions)).toEqual(['terminateJob', 'writeStatus', 'createJob']);
    expect(of(plan.actions, 'createJob')!.job.spec.spec.restore?.savepointId).toBe(old.spec.metadata.id);
  });
});

describe('restore strategies', () => {
  const { d } = running();
  const copied = imported(d, 'aaaaaaaa-0000-4000-8000-00000000000a', 'COPIED', '2026-03-01T00:00:00.000Z');
  const suspend = imported(d, 'aaaaaaaa-0000-4000-8000-00000000000b', 'SUSPEND', '2026-04-01T00:00:00.000Z');
  const checkpoint = imported(d, 'aaaaaaaa-0000-4000-8000-00000000000c', 'RETAINED_CHECKPOINT', '2026-05-01T00:00:00.000Z');
  const failedOne = imported(d, 'aaaaaaaa-0000-4000-8000-00000000000d', 'USER_REQUEST', '2026-06-01T00:00:00.000Z', 'FAILED');
  const startedOne = imported(d, 'aaaaaaaa-0000-4000-8000-00000000000e', 'USER_REQUEST', '2026-06-02T00:00:00.000Z', 'STARTED');
  const otherDeployment = { ...imported(d, 'aaaaaaaa-0000-4000-8000-00000000000f', 'COPIED', '2026-07-01T00:00:00.000Z') };
  otherDeployment.spec = {
    ...otherDeployment.spec,
    spec: { ...otherDeployment.spec.spec, deploymentId: '11111111-1111-4111-8111-111111111111' },
  };
  const all = [copied, suspend, checkpoint, failedOne, startedOne, otherDeployment];
  const strategy = (kind: RestoreStrategy['kind'], allowNonRestoredState?: boolean) =>
    withEffective({
      ...d,
      spec: {
        ...d.spec,
        spec: { ...d.spec.spec, restoreStrategy: { kind, ...(allowNonRestoredState !== undefined ? { allowNonRestoredState } : {}) } },
      },
    });

  it('LATEST_SAVEPOINT: the newest COMPLETED one of this deployment that is not a retained checkpoint', () => {
    expect(restoreFor(strategy('LATEST_SAVEPOINT'), all)).toEqual({
      savepointId: suspend.spec.metadata.id,
      location: suspend.spec.spec.savepointLocation,
    });
  });
  it('LATEST_STATE: retained checkpoints count too', () => {
    expect(restoreFor(strategy('LATEST_STATE'), all)?.savepointId).toBe(checkpoint.spec.metadata.id);
  });
  it('NONE: nothing; no savepoints: nothing', () => {
    expect(restoreFor(strategy('NONE'), all)).toBeUndefined();
    expect(restoreFor(strategy('LATEST_STATE'), [failedOne, startedOne, otherDeployment])).toBeUndefined();
  });
  it('passes allowNonRestoredState through when set', () => {
    expect(restoreFor(strategy('LATEST_SAVEPOINT', true), all)?.allowNonRestoredState).toBe(true);
    expect(restoreFor(strategy('LATEST_SAVEPOINT', false), all)).not.toHaveProperty('allowNonRestoredState');
  });
  it('is what a start records in the job', () => {
    const d0 = strategy('LATEST_STATE');
    const dd = { ...d0, status: { ...d0.status, sluice: { ...d0.status?.sluice, job: undefined } } };
    const start = planDeployment(dd, undefined, NOW, all);
    expect(of(start.actions, 'createJob')!.job.spec.spec.restore?.location).toBe(checkpoint.spec.spec.savepointLocation);
  });
  it('STATEFUL with restore strategy NONE is refused, saying why and what to use', () => {
    const body = {
      metadata: { name: 'x' },
      spec: { ...d.spec.spec, upgradeStrategy: { kind: 'STATEFUL' }, restoreStrategy: { kind: 'NONE' } },
    };
    expect(() => validateDeployment(body)).toThrow(
      /restoreStrategy\.kind.*NONE cannot be combined with upgradeStrategy\.kind STATEFUL.*LATEST_SAVEPOINT or LATEST_STATE/,
    );
  });
});

describe('taking one savepoint', () => {
  const request: SavepointRequest = {
    stopsJob: true,
    purpose: 'SUSPEND@2',
    targetDirectory: DIR,
    maxAttempts: 3,
    attemptTimeoutMs: 2000,
    idempotentTrigger: false,
  };
  const sp = (sluice: SavepointCrStatus['sluice']): SavepointResource => ({
    ...imported(deployment(), 'aaaaaaaa-0000-4000-8000-000000000010', 'SUSPEND', NOW, 'STARTED'),
    status: { state: 'STARTED', sluice },
  });
  const at = '2026-11-21T10:00:00.000Z';
  const triggered = (attempt: number) => sp({ attempt, trigger: { attempt, id: 'abc', at } });
  const plus = (ms: number) => new Date(Date.parse(at) + ms).toISOString();

  it('triggers the current attempt when nothing was triggered for it', () => {
    expect(savepointProgress(sp({ attempt: 1 }), { kind: 'none' }, NOW, request)).toEqual({ do: 'trigger', attempt: 1 });
    expect(savepointProgress(sp(undefined), { kind: 'none' }, NOW, request)).toEqual({ do: 'trigger', attempt: 1 });
  });
  it('waits while in progress (or the JobManager is briefly away) within the attempt timeout', () => {
    expect(savepointProgress(triggered(1), { kind: 'in-progress' }, plus(1999), request).do).toBe('wait');
    expect(savepointProgress(triggered(1), { kind: 'unreachable', message: 'ECONNREFUSED' }, plus(500), request)).toEqual({
      do: 'wait',
      reason: 'ECONNREFUSED',
    });
  });
  it('fails an attempt that takes longer than its timeout, and tries the next', () => {
    expect(savepointProgress(triggered(1), { kind: 'in-progress' }, plus(2001), request)).toEqual({
      do: 'retry',
      attempt: 2,
      failure: { reason: 'SavepointTimeout', message: 'attempt 1 did not complete within 2000 ms' },
    });
  });
  it('fails an attempt Flink failed, and tries the next', () => {
    expect(
      savepointProgress(triggered(2), { kind: 'failed', reason: 'SavepointFailed', message: 'IOException' }, plus(10), request),
    ).toMatchObject({ do: 'retry', attempt: 3 });
  });
  it('fails the savepoint after maxSavepointCreationAttempts, with the last reason', () => {
    expect(
      savepointProgress(triggered(3), { kind: 'failed', reason: 'SavepointFailed', message: 'IOException' }, plus(10), request),
    ).toEqual({
      do: 'fail',
      failure: { reason: 'SavepointFailed', message: 'failed after 3 attempt(s); the last: IOException' },
    });
    expect(savepointProgress(triggered(3), { kind: 'unreachable', message: 'no answer' }, plus(5000), request)).toMatchObject({
      do: 'fail',
      failure: {
        reason: 'SavepointTimeout',
        message: expect.stringMatching(
          /after 3 attempt\(s\).*did not complete within 2000 ms \(the JobManager did not answer: no answer\)/,
        ),
      },
    });
  });
  it('completes with the location Flink reports', () => {
    expect(savepointProgress(triggered(1), { kind: 'completed', location: `${DIR}/savepoint-x` }, plus(10), request)).toEqual({
      do: 'complete',
      location: `${DIR}/savepoint-x`,
    });
  });
});

describe('settings', () => {
  it('parses Flink durations', () => {
    expect(parseFlinkDuration('10 min')).toBe(600_000);
    expect(parseFlinkDuration('30s')).toBe(30_000);
    expect(parseFlinkDuration('1 h')).toBe(3_600_000);
    expect(parseFlinkDuration('500')).toBe(500);
    expect(parseFlinkDuration('250 ms')).toBe(250);
    expect(parseFlinkDuration('2000 µs')).toBe(2);
    expect(parseFlinkDuration('2000 us')).toBe(2);
    expect(parseFlinkDuration('soon')).toBeUndefined();
    expect(parseFlinkDuration(undefined)).toBeUndefined();
  });
  it('gives an attempt twice the checkpoint timeout, at most 30 s more', () => {
    expect(attemptTimeoutMs({ 'execution.checkpointing.timeout': '1 s' })).toBe(2000);
    expect(attemptTimeoutMs({})).toBe(630_000);
    expect(attemptTimeoutMs({ 'execution.checkpointing.timeout': 'nonsense' })).toBe(630_000);
  });
  it('knows which Flink versions take an idempotency trigger id', () => {
    expect(flinkAtLeast('1.9', 1, 15)).toBe(false);
    expect(flinkAtLeast('1.15', 1, 15)).toBe(true);
    expect(flinkAtLeast('1.17.2', 1, 15)).toBe(true);
    expect(flinkAtLeast('2.0', 1, 15)).toBe(true);
    expect(flinkAtLeast(undefined, 1, 15)).toBe(false);
  });
});

describe('savepoints users ask for (USER_REQUEST)', () => {
  /** A savepoint as the REST API records a request for one: STARTED, with its purpose, of `job`. */
  const requested = (d: DeploymentResource, job: JobResource, id: string, createdAt = NOW): SavepointResource => {
    const sp = imported(d, id, 'USER_REQUEST', createdAt, 'STARTED');
    return {
      ...sp,
      metadata: { ...sp.metadata, annotations: { [PURPOSE_ANNOTATION]: `USER_REQUEST@${id}` } },
      spec: { ...sp.spec, spec: { ...sp.spec.spec, savepointLocation: DIR, jobId: job.spec.metadata.id } },
    };
  };

  it('takes the oldest one of the running job without stopping it, and nothing else meanwhile', () => {
    const { d, job } = running();
    const first = requested(d, job, 'aaaaaaaa-0000-4000-8000-000000000101', '2026-11-21T09:00:00.000Z');
    const second = requested(d, job, 'aaaaaaaa-0000-4000-8000-000000000102');
    const plan = planDeployment(d, job, NOW, [second, first]);
    expect(types(plan.actions)).toEqual(['takeSavepoint']);
    const take = of(plan.actions, 'takeSavepoint')!;
    expect(take.savepoint).toBe(first);
    expect(take.request).toMatchObject({ stopsJob: false, purpose: `USER_REQUEST@${first.spec.metadata.id}`, targetDirectory: DIR });
    // Once completed, the job runs on: nothing to do.
    expect(planDeployment(d, job, NOW, [withState(first, { state: 'COMPLETED' }, `${DIR}/savepoint-1`)]).actions).toEqual([]);
  });

  it('waits while the job is STARTING, fails it once the job has stopped, and never takes an imported one', () => {
    const { d, job } = running();
    const sp = requested(d, job, 'aaaaaaaa-0000-4000-8000-000000000103');
    expect(types(planDeployment(d, jobIn(job, 'STARTING'), NOW, [sp]).actions)).not.toContain('failSavepoint');
    const stopped = planDeployment(d, jobIn(job, 'FAILED'), NOW, [sp]);
    expect(of(stopped.actions, 'failSavepoint')).toMatchObject({ savepoint: sp, failure: { reason: 'JobNotRunning' } });
    const imp = imported(d, 'aaaaaaaa-0000-4000-8000-000000000104', 'USER_REQUEST', NOW, 'STARTED');
    expect(planDeployment(d, job, NOW, [imp]).actions).toEqual([]);
  });
});
