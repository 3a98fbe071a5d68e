import { describe, expect, it } from 'vitest';
import { type Action, planDeployment } from '../../functions/deploymentStep/logic.js';
import type { DeploymentResource, JobResource } from '../../shared/vvp/crs.js';
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
    expect(create.job.spec.spec).toMatchObject({ targetNamespace: 'vvp-jobs-team-1', deploymentName: 'TopSpeedWindowing', seq: 1, attempt: 1 });
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
    const changed = withEffective({ ...d, metadata: { ...d.metadata, generation: 2 }, spec: { ...d.spec, spec: { ...d.spec.spec, template: { spec: { ...d.spec.spec.template.spec, parallelism: 2 } } } } });
    const plan = planDeployment(changed, job, NOW);
    expect(types(plan.actions)).toEqual(['terminateJob', 'writeStatus', 'createJob']);
    const created = (plan.actions[2] as Extract<Action, { type: 'createJob' }>).job;
    expect(created.spec.spec.seq).toBe(2);
    expect(created.spec.metadata.id).not.toBe(job.spec.metadata.id);
    expect(created.spec.spec.template.spec.parallelism).toBe(2);
  });

  it('does not restart on a change of state-independent fields like maxJobCreationAttempts', () => {
    const { d, job } = started();
    const d2 = withEffective({ ...d, metadata: { ...d.metadata, generation: 2 }, spec: { ...d.spec, spec: { ...d.spec.spec, maxJobCreationAttempts: 9 } } });
    expect(types(planDeployment(d2, job, NOW).actions)).not.toContain('createJob');
  });

  it('keeps the running job under upgrade strategy NONE', () => {
    const { d, job } = started();
    const d2 = withEffective({ ...d, metadata: { ...d.metadata, generation: 2 }, spec: { ...d.spec, spec: { ...d.spec.spec, upgradeStrategy: { kind: 'NONE' }, template: { spec: { ...d.spec.spec.template.spec, parallelism: 3 } } } } });
    expect(types(planDeployment(d2, job, NOW).actions)).toEqual(['writeStatus']);
  });

  // A STARTED job is suspended with a savepoint first (test/unit/savepoint-plan.test.ts); one
  // that has not started yet has no state of its own to save and is stopped right away.
  it.each([['CANCELLED', 'STARTED'], ['SUSPENDED', 'STARTING']] as const)('%s stops a %s job and reports the state', (state, jobState) => {
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
    const again = withEffective({ ...d3, metadata: { ...d3.metadata, generation: 3 }, spec: { ...d3.spec, spec: { ...d3.spec.spec, state: 'RUNNING' } } });
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
    expect(types(giveUp.actions)).toEqual(['writeStatus']);
    d = after(d, giveUp.actions);
    expect(d.status?.state).toBe('FAILED');
    expect(d.status?.failure?.message).toMatch(/failed after 2 attempt\(s\): Error: JobManager pod x failed/);
    expect(planDeployment(d, failed(d), NOW).actions).toEqual([]);
  });

  it('reports FINISHED when the job finished', () => {
    const { d, job } = started();
    expect(after(d, planDeployment(d, { ...job, status: { state: 'FINISHED' } }, NOW).actions).status?.state).toBe('FINISHED');
  });

  it('reports a failed patch set as FAILED and starts nothing', () => {
    const d = deployment();
    d.status = { sluice: { effective: { generation: 1, error: 'deploymentPatchSet operation 0 (test /spec/x) failed: the test did not match' } } };
    const plan = planDeployment(d, undefined, NOW);
    expect(types(plan.actions)).toEqual(['writeStatus']);
    const d2 = after(d, plan.actions);
    expect(d2.status?.state).toBe('FAILED');
    expect(d2.status?.failure?.message).toMatch(/operation 0/);
    expect(planDeployment(d2, undefined, NOW).actions).toEqual([]);
  });
});
