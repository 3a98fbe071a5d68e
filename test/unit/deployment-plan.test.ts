import { describe, expect, it } from 'vitest';
import { type Action, awaitsPatchSet, planDeletion, planDeployment, validatesCopy } from '../../functions/deploymentStep/logic.js';
import type { DeploymentResource, JobResource } from '../../shared/model/index.js';
import { deployment, jobOf, withEffective } from './fixtures.js';

const NOW = '2026-11-21T10:00:00.000Z';
const types = (actions: Action[]) => actions.map((a) => a.type);

/** Applies a plan's status write, as the shell would. */
function after(d: DeploymentResource, actions: Action[]): DeploymentResource {
  const write = actions.find((a) => a.type === 'writeStatus');
  return write && write.type === 'writeStatus' ? { ...d, status: write.status } : d;
}

function started(): { d: DeploymentResource; job: JobResource } {
  const d0 = withEffective(deployment());
  const d = after(d0, planDeployment(d0, undefined, NOW).actions);
  return { d, job: jobOf(d, 'STARTED') };
}

describe('deployment step decisions', () => {
  it('waits until the patch set has been applied to the current generation', () => {
    expect(planDeployment(deployment(), undefined, NOW).actions).toEqual([]);
    const stale = withEffective(deployment({}, 2));
    stale.status!.sluice!.effective!.generation = 1;
    expect(planDeployment(stale, undefined, NOW).actions).toEqual([]);
  });

  it('starts a job for RUNNING: status first (claims the start), then the job', () => {
    const d = withEffective(deployment());
    const plan = planDeployment(d, undefined, NOW);
    expect(types(plan.actions)).toEqual(['writeStatus', 'createJob']);
    const [write, create] = plan.actions as [Extract<Action, { type: 'writeStatus' }>, Extract<Action, { type: 'createJob' }>];
    expect(write.status.state).toBe('TRANSITIONING');
    expect(write.status.sluice?.job).toMatchObject({ seq: 1, attempt: 1 });
    expect(write.status.running?.jobId).toBe(write.status.sluice!.job!.id);
    expect(create.job.spec.metadata.id).toBe(write.status.sluice!.job!.id);
    expect(create.job.spec.spec).toMatchObject({
      targetNamespace: 'vvp-jobs-team-1',
      deploymentName: 'TopSpeedWindowing',
      seq: 1,
      attempt: 1,
    });
    expect(create.job.spec.spec.template).toEqual(d.status!.sluice!.effective!.spec!.template);
  });

  it('derives the same job id for the same start (redelivery cannot make a second job)', () => {
    const d = withEffective(deployment());
    const a = planDeployment(d, undefined, NOW).actions[1] as Extract<Action, { type: 'createJob' }>;
    const b = planDeployment(d, undefined, '2030-01-01T00:00:00Z').actions[1] as Extract<Action, { type: 'createJob' }>;
    expect(a.job.spec.metadata.id).toBe(b.job.spec.metadata.id);
  });

  it('creates the recorded job when a step died between the status write and the create', () => {
    const d0 = withEffective(deployment());
    const d = after(d0, planDeployment(d0, undefined, NOW).actions);
    const plan = planDeployment(d, undefined, NOW);
    expect(types(plan.actions)).toEqual(['createJob']);
  });

  it('reports TRANSITIONING while STARTING and RUNNING once STARTED, with no further writes', () => {
    const { d, job } = started();
    expect(planDeployment(d, { ...job, status: { state: 'STARTING' } }, NOW).actions).toEqual([]);
    const running = planDeployment(d, job, NOW);
    expect(types(running.actions)).toEqual(['writeStatus']);
    const d2 = after(d, running.actions);
    expect(d2.status?.state).toBe('RUNNING');
    expect(d2.status?.running?.transitionTime).toBe(NOW);
    expect(planDeployment(d2, job, '2026-11-21T11:00:00Z').actions).toEqual([]);
  });

  it('ensures the Kubernetes objects of a job that has no state yet', () => {
    const { d, job } = started();
    expect(types(planDeployment(d, { ...job, status: undefined }, NOW).actions)).toEqual(['ensureJobResources']);
  });

  it('upgrades STATELESS on a template change: stop the old job, start a new one', () => {
    const { d, job } = started();
    const changed = withEffective({
      ...d,
      metadata: { ...d.metadata, generation: 2 },
      spec: { ...d.spec, spec: { ...d.spec.spec, template: { spec: { ...d.spec.spec.template.spec, parallelism: 2 } } } },
    });
    const plan = planDeployment(changed, job, NOW);
    expect(types(plan.actions)).toEqual(['terminateJob', 'writeStatus', 'createJob']);
    const created = (plan.actions[2] as Extract<Action, { type: 'createJob' }>).job;
    expect(created.spec.spec.seq).toBe(2);
    expect(created.spec.metadata.id).not.toBe(job.spec.metadata.id);
    expect(created.spec.spec.template.spec.parallelism).toBe(2);
  });

  it('does not restart on a change of state-independent fields like maxJobCreationAttempts', () => {
    const { d, job } = started();
    const d2 = withEffective({
      ...d,
      metadata: { ...d.metadata, generation: 2 },
      spec: { ...d.spec, spec: { ...d.spec.spec, maxJobCreationAttempts: 9 } },
    });
    expect(types(planDeployment(d2, job, NOW).actions)).not.toContain('createJob');
  });

  it('keeps the running job under upgrade strategy NONE', () => {
    const { d, job } = started();
    const d2 = withEffective({
      ...d,
      metadata: { ...d.metadata, generation: 2 },
      spec: {
        ...d.spec,
        spec: { ...d.spec.spec, upgradeStrategy: { kind: 'NONE' }, template: { spec: { ...d.spec.spec.template.spec, parallelism: 3 } } },
      },
    });
    expect(types(planDeployment(d2, job, NOW).actions)).toEqual(['writeStatus']);
  });

  // A STARTED job is suspended with a savepoint first (test/unit/savepoint-plan.test.ts); one
  // that has not started yet has no state of its own to save and is stopped right away.
  it.each([
    ['CANCELLED', 'STARTED'],
    ['SUSPENDED', 'STARTING'],
  ] as const)('%s stops a %s job and reports the state', (state, jobState) => {
    const { d, job: started_ } = started();
    const job = { ...started_, status: { state: jobState } };
    const d2 = withEffective({ ...d, metadata: { ...d.metadata, generation: 2 }, spec: { ...d.spec, spec: { ...d.spec.spec, state } } });
    const plan = planDeployment(d2, job, NOW);
    expect(types(plan.actions)).toEqual(['terminateJob', 'writeStatus']);
    const d3 = after(d2, plan.actions);
    expect(d3.status?.state).toBe(state);
    expect(d3.status?.running).toBeUndefined();
    expect(d3.status?.sluice?.job).toBeUndefined();
    // Started again later: a new job, not the old one.
    const again = withEffective({
      ...d3,
      metadata: { ...d3.metadata, generation: 3 },
      spec: { ...d3.spec, spec: { ...d3.spec.spec, state: 'RUNNING' } },
    });
    const restart = planDeployment(again, undefined, NOW);
    expect((restart.actions[1] as Extract<Action, { type: 'createJob' }>).job.spec.spec.seq).toBe(2);
  });

  it('retries a failed job up to maxJobCreationAttempts, then reports FAILED with the reason', () => {
    let d = withEffective(deployment({ maxJobCreationAttempts: 2 }));
    d = after(d, planDeployment(d, undefined, NOW).actions);
    const failed = (dd: DeploymentResource): JobResource => ({
      ...jobOf(dd),
      status: { state: 'FAILED', failure: { reason: 'Error', message: 'JobManager pod x failed (exit code 1)', failedAt: NOW } },
    });
    const retry = planDeployment(d, failed(d), NOW);
    expect(types(retry.actions)).toEqual(['terminateJob', 'writeStatus', 'createJob']);
    d = after(d, retry.actions);
    expect(d.status?.sluice?.job).toMatchObject({ seq: 1, attempt: 2 });
    const giveUp = planDeployment(d, failed(d), NOW);
    // The failed job's cluster is torn down with the last attempt, not left running.
    expect(types(giveUp.actions)).toEqual(['terminateJob', 'writeStatus']);
    d = after(d, giveUp.actions);
    expect(d.status?.state).toBe('FAILED');
    expect(d.status?.failure?.message).toMatch(/failed after 2 attempt\(s\): Error: JobManager pod x failed/);
    const cleared = { ...failed(d), status: { ...failed(d).status!, sluice: { resourcesDeleted: true } } };
    expect(planDeployment(d, cleared, NOW).actions).toEqual([]);
  });

  it('reports FINISHED when the job finished, and deletes what is left of its cluster once', () => {
    const { d, job } = started();
    const plan = planDeployment(d, { ...job, status: { state: 'FINISHED' } }, NOW);
    expect(types(plan.actions)).toEqual(['terminateJob', 'writeStatus']);
    const d2 = after(d, plan.actions);
    expect(d2.status?.state).toBe('FINISHED');
    expect(planDeployment(d2, { ...job, status: { state: 'FINISHED', sluice: { resourcesDeleted: true } } }, NOW).actions).toEqual([]);
  });

  it("deletes a failed job's objects when the template changes and a new job starts", () => {
    const { d, job } = started();
    const changed = withEffective({
      ...d,
      metadata: { ...d.metadata, generation: 2 },
      spec: { ...d.spec, spec: { ...d.spec.spec, template: { spec: { ...d.spec.spec.template.spec, parallelism: 2 } } } },
    });
    const plan = planDeployment(changed, { ...job, status: { state: 'FAILED' } }, NOW);
    expect(types(plan.actions)).toEqual(['terminateJob', 'writeStatus', 'createJob']);
    expect((plan.actions[0] as Extract<Action, { type: 'terminateJob' }>).job.spec.metadata.id).toBe(job.spec.metadata.id);
  });

  // A step that died while creating a job's objects leaves a job with no state: a suspend or a
  // cancel must still stop it, or it runs on beside the next one.
  it.each(['CANCELLED', 'SUSPENDED'] as const)('%s stops a half-created job (no state yet) instead of dropping it', (state) => {
    const { d, job } = started();
    const d2 = withEffective({ ...d, metadata: { ...d.metadata, generation: 2 }, spec: { ...d.spec, spec: { ...d.spec.spec, state } } });
    const plan = planDeployment(d2, { ...job, status: undefined }, NOW);
    expect(types(plan.actions)).toEqual(['terminateJob', 'writeStatus']);
    expect(after(d2, plan.actions).status?.state).toBe(state);
  });

  it.each(['FAILED', 'FINISHED'] as const)('CANCELLED deletes what is left of a %s job before reporting CANCELLED', (jobState) => {
    const { d, job } = started();
    const d2 = withEffective({
      ...d,
      metadata: { ...d.metadata, generation: 2 },
      spec: { ...d.spec, spec: { ...d.spec.spec, state: 'CANCELLED' } },
    });
    expect(types(planDeployment(d2, { ...job, status: { state: jobState } }, NOW).actions)).toEqual(['terminateJob', 'writeStatus']);
    expect(types(planDeployment(d2, { ...job, status: { state: jobState, sluice: { resourcesDeleted: true } } }, NOW).actions)).toEqual([
      'writeStatus',
    ]);
  });

  it('adds the finalizer before the first job of a deployment that has none, and for a live job it lacks', () => {
    const bare = withEffective(deployment());
    bare.metadata.finalizers = [];
    expect(types(planDeployment(bare, undefined, NOW).actions)).toEqual(['addFinalizer', 'writeStatus', 'createJob']);
    const { d, job } = started();
    const running = after(d, planDeployment(d, job, NOW).actions);
    expect(planDeployment(running, job, NOW).actions).toEqual([]);
    expect(types(planDeployment({ ...running, metadata: { ...running.metadata, finalizers: undefined } }, job, NOW).actions)).toEqual([
      'addFinalizer',
    ]);
    // A deployment that never ran a job needs none.
    const cancelled = withEffective(deployment({ state: 'CANCELLED' }));
    cancelled.metadata.finalizers = undefined;
    expect(types(planDeployment(cancelled, undefined, NOW).actions)).toEqual(['writeStatus']);
  });

  it('stops the job of a cancelled deployment even while its patch set fails', () => {
    const { d, job } = started();
    const d2 = {
      ...d,
      metadata: { ...d.metadata, generation: 2 },
      spec: { ...d.spec, spec: { ...d.spec.spec, state: 'CANCELLED' as const } },
    };
    d2.status = {
      ...d.status,
      sluice: { ...d.status!.sluice, effective: { generation: 2, error: 'deploymentPatchSet operation 0 failed' } },
    };
    expect(types(planDeployment(d2, job, NOW).actions)).toEqual(['terminateJob', 'writeStatus']);
  });

  it('reports a failed patch set as FAILED and starts nothing', () => {
    const d = deployment();
    d.status = {
      sluice: { effective: { generation: 1, error: 'deploymentPatchSet operation 0 (test /spec/x) failed: the test did not match' } },
    };
    const plan = planDeployment(d, undefined, NOW);
    expect(types(plan.actions)).toEqual(['writeStatus']);
    const d2 = after(d, plan.actions);
    expect(d2.status?.state).toBe('FAILED');
    expect(d2.status?.failure?.message).toMatch(/operation 0/);
    expect(planDeployment(d2, undefined, NOW).actions).toEqual([]);
  });
});

describe('deleting a deployment', () => {
  const deleting = (d: DeploymentResource): DeploymentResource => ({ ...d, metadata: { ...d.metadata, deletionTimestamp: NOW } });

  it('stops every job that may have objects left, then removes the finalizer', () => {
    const { d, job } = started();
    const old = { ...job, metadata: { ...job.metadata, name: 'old' }, status: { state: 'TERMINATED' as const } };
    const failedJob = { ...job, metadata: { ...job.metadata, name: 'failed' }, status: { state: 'FAILED' as const } };
    const plan = planDeletion(deleting(d), [job, old, failedJob]);
    expect(types(plan.actions)).toEqual(['terminateJob', 'terminateJob', 'removeFinalizer']);
    expect(plan.actions.slice(0, 2).map((a) => (a as Extract<Action, { type: 'terminateJob' }>).job.metadata.name)).toEqual([
      job.metadata.name,
      'failed',
    ]);
  });

  it('only removes the finalizer when every job is already cleaned up, and does nothing once it is gone', () => {
    const { d, job } = started();
    expect(types(planDeletion(deleting(d), [{ ...job, status: { state: 'TERMINATED' } }]).actions)).toEqual(['removeFinalizer']);
    expect(planDeletion({ ...deleting(d), metadata: { ...deleting(d).metadata, finalizers: [] } }, [job]).actions).toEqual([]);
  });
});

describe("deployment step decisions on Flink's word", () => {
  const withStatus = (job: JobResource, status: JobResource['status']): JobResource => ({ ...job, status });
  const bump = (d: DeploymentResource): DeploymentResource => {
    const next = { ...d, metadata: { ...d.metadata, generation: (d.metadata.generation ?? 1) + 1 } };
    next.status = {
      ...d.status,
      sluice: { ...d.status!.sluice, effective: { ...d.status!.sluice!.effective!, generation: next.metadata.generation } },
    };
    return next;
  };

  it('is TRANSITIONING, not RUNNING, while Flink restarts a started job', () => {
    const { d, job } = started();
    const restarting = withStatus(job, { state: 'STARTED', started: { startedAt: NOW, observedFlinkJobStatus: 'RESTARTING' } });
    expect(after(d, planDeployment(d, restarting, NOW).actions).status?.state).toBe('TRANSITIONING');
    const running = withStatus(job, { state: 'STARTED', started: { startedAt: NOW, observedFlinkJobStatus: 'RUNNING' } });
    expect(after(d, planDeployment(d, running, NOW).actions).status?.state).toBe('RUNNING');
  });

  it("a job Flink failed takes no further attempt: FAILED at once with Flink's exception", () => {
    const { d, job } = started();
    const failed = withStatus(job, {
      state: 'FAILED',
      failure: { reason: 'FlinkJobFailed', message: 'java.lang.IllegalStateException: boom', failedAt: NOW },
    });
    const plan = planDeployment(d, failed, NOW);
    expect(types(plan.actions)).toEqual(['terminateJob', 'writeStatus']);
    expect(after(d, plan.actions).status).toMatchObject({
      state: 'FAILED',
      failure: { reason: 'JobFailed', message: expect.stringMatching(/failed in Flink .*boom/) },
    });
    // A pod's failure is one attempt of several.
    const crashed = withStatus(job, {
      state: 'FAILED',
      failure: { reason: 'CrashLoopBackOff', message: 'TaskManager pod x is crash-looping', failedAt: NOW },
    });
    expect(types(planDeployment(d, crashed, NOW).actions)).toEqual(['terminateJob', 'writeStatus', 'createJob']);
  });

  it('a job cancelled in Flink: CANCELLED (its cluster deleted) until the deployment changes, then a new job', () => {
    const { d, job } = started();
    const cancelled = withStatus(job, { state: 'TERMINATED', started: { startedAt: NOW, observedFlinkJobStatus: 'CANCELED' } });
    const plan = planDeployment(d, cancelled, NOW);
    expect(types(plan.actions)).toEqual(['terminateJob', 'writeStatus']);
    const d2 = after(d, plan.actions);
    expect(d2.status?.state).toBe('CANCELLED');
    const cleaned = withStatus(cancelled, { ...cancelled.status, sluice: { resourcesDeleted: true } });
    expect(planDeployment(d2, cleaned, NOW).actions).toEqual([]); // duplicates change nothing
    const restart = planDeployment(bump(d2), cleaned, NOW);
    expect(types(restart.actions)).toEqual(['writeStatus', 'createJob']);
  });
});

describe("planning from an event's copy of the Deployment", () => {
  it('finds a Deployment waiting for its patch set from the Deployment alone', () => {
    expect(awaitsPatchSet(deployment())).toBe(true);
    const d = withEffective(deployment({}, 2));
    expect(awaitsPatchSet(d)).toBe(false);
    d.status!.sluice!.effective!.generation = 1;
    expect(awaitsPatchSet(d)).toBe(true);
  });

  it('carries out from the copy only plans whose first write is versioned by it', () => {
    const fresh = withEffective(deployment());
    // Starting claims the job in the Deployment's status first: a stale copy fails there.
    expect(types(planDeployment(fresh, undefined, NOW).actions)[0]).toBe('writeStatus');
    expect(validatesCopy(planDeployment(fresh, undefined, NOW))).toBe(true);
    // The finalizer is added first (versioned too) where a job may get objects.
    const withoutFinalizer = { ...fresh, metadata: { ...fresh.metadata, finalizers: [] } };
    expect(types(planDeployment(withoutFinalizer, undefined, NOW).actions)[0]).toBe('addFinalizer');
    expect(validatesCopy(planDeployment(withoutFinalizer, undefined, NOW))).toBe(true);
    const { d, job } = started();
    expect(validatesCopy(planDeployment(d, job, NOW))).toBe(true); // RUNNING: a status write only
    expect(validatesCopy({ actions: [], reason: 'nothing' })).toBe(false);
  });

  it('plans again from a fresh read when a stale copy would stop the job the current Deployment wants running', () => {
    // The copy still says CANCELLED; the user has set RUNNING again since. Planned from it,
    // the step would delete the running job's objects before any versioned write.
    const { d, job } = started();
    const cancelled = withEffective({
      ...d,
      metadata: { ...d.metadata, generation: 2 },
      spec: { ...d.spec, spec: { ...d.spec.spec, state: 'CANCELLED' } },
    });
    const plan = planDeployment(cancelled, job, NOW);
    expect(types(plan.actions)).toEqual(['terminateJob', 'writeStatus']);
    expect(validatesCopy(plan)).toBe(false);
    // The same for an upgrade, a savepoint, and a deletion: each starts with an unversioned action.
    const changed = withEffective({
      ...d,
      metadata: { ...d.metadata, generation: 2 },
      spec: { ...d.spec, spec: { ...d.spec.spec, template: { spec: { ...d.spec.spec.template.spec, parallelism: 2 } } } },
    });
    expect(validatesCopy(planDeployment(changed, job, NOW))).toBe(false);
    const deleting = { ...d, metadata: { ...d.metadata, deletionTimestamp: NOW } };
    expect(validatesCopy(planDeletion(deleting, [job]))).toBe(false);
    expect(validatesCopy(planDeletion(deleting, [{ ...job, status: { state: 'TERMINATED' } }]))).toBe(true);
  });
});
