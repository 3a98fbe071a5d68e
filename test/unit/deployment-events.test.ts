import { describe, expect, it } from 'vitest';
import { eventIdFor, eventsOfAction, savepointEvent } from '../../functions/deploymentStep/events.js';
import { type Action, planDeployment } from '../../functions/deploymentStep/logic.js';
import type { CoreV1Event } from '@kubernetes/client-node';
import type { DeploymentResource, JobResource } from '../../shared/model/index.js';
import { MAX_EVENTS_PER_DEPLOYMENT, TRIM_EVERY, eventView, eventsBeyond, kubernetesEvent, trimDue } from '../../shared/vvp/event-log.js';
import { deployment, jobOf, withEffective } from './fixtures.js';

const NOW = '2026-11-21T10:00:00.000Z';
const DIR = 's3://bucket/savepoints';

/** The events of a plan's actions, each decided on the Deployment as the shell has it then. */
function eventsOf(d: DeploymentResource, actions: Action[]) {
  let current = d;
  return actions.flatMap((a) => {
    const events = eventsOfAction(current, a);
    if (a.type === 'writeStatus')
      current = {
        ...current,
        status: a.status,
        metadata: { ...current.metadata, resourceVersion: `${Number(current.metadata.resourceVersion ?? 0) + 1}` },
      };
    return events;
  });
}
const after = (d: DeploymentResource, actions: Action[]) => {
  const write = actions.find((a) => a.type === 'writeStatus') as Extract<Action, { type: 'writeStatus' }> | undefined;
  return write ? { ...d, status: write.status } : d;
};
const names = (events: { name: string }[]) => events.map((e) => e.name);

function started() {
  const base = deployment();
  const d0 = withEffective(
    deployment({ template: { spec: { ...base.spec.spec.template.spec, flinkConfiguration: { 'state.savepoints.dir': DIR } } } }),
  );
  const plan = planDeployment(d0, undefined, NOW);
  return { d0, plan, d1: after(d0, plan.actions) };
}

describe('the events of a deployment step', () => {
  it('a start: transition needed, then a new job with its attempt', () => {
    const { d0, plan } = started();
    const events = eventsOf(d0, plan.actions);
    expect(names(events)).toEqual(['STATE_TRANSITION_IS_NEEDED', 'CREATING_A_NEW_JOB']);
    expect(events[0]!.message).toBe('Transitioning towards the desired state RUNNING');
    expect(events[1]).toMatchObject({
      jobId: expect.any(String),
      message: expect.stringMatching(/^Creating job [0-9a-f-]{36} \(attempt 1 of 4\)$/),
    });
  });

  it('the job started: JOB_SUCCESSFULLY_STARTED and the transition completed, naming the job', () => {
    const { d1 } = started();
    const job = jobOf(d1, 'STARTED');
    const events = eventsOf(d1, planDeployment(d1, job, NOW).actions);
    expect(names(events)).toEqual(['JOB_SUCCESSFULLY_STARTED', 'STATE_TRANSITION_IS_COMPLETED']);
    expect(events.every((e) => e.jobId === job.spec.metadata.id)).toBe(true);
    expect(events[1]!.message).toBe('Transitioned from TRANSITIONING to RUNNING');
  });

  it("a failed job with attempts left: terminated with Flink's reason, then retried", () => {
    const { d1 } = started();
    const job: JobResource = {
      ...jobOf(d1, 'FAILED'),
      status: { state: 'FAILED', failure: { reason: 'JobFailed', message: 'ClassNotFoundException: Nope', failedAt: NOW } },
    };
    const events = eventsOf(d1, planDeployment(d1, job, NOW).actions);
    expect(names(events)).toEqual(['TERMINATING_A_JOB_DUE_TO_AN_UNRECOVERABLE_FAILURE', 'CREATING_A_NEW_JOB']);
    expect(events[0]).toMatchObject({ warning: true, message: expect.stringContaining('ClassNotFoundException: Nope') });
    expect(events[1]!.message).toMatch(/attempt 2 of 4/);
  });

  it('no attempts left: FAILED with the reason', () => {
    const base = started();
    const d1 = withEffective(deployment({ ...base.d1.spec.spec, maxJobCreationAttempts: 1 }));
    const d2 = after(d1, planDeployment(d1, undefined, NOW).actions);
    const job: JobResource = {
      ...jobOf(d2, 'FAILED'),
      status: { state: 'FAILED', failure: { reason: 'JobFailed', message: 'boom', failedAt: NOW } },
    };
    const events = eventsOf(d2, planDeployment(d2, job, NOW).actions);
    expect(names(events)).toEqual(['TERMINATING_A_JOB_DUE_TO_AN_UNRECOVERABLE_FAILURE', 'TOO_MANY_FAILED_JOB_CREATION_ATTEMPTS']);
    expect(events[1]!.message).toMatch(
      /^Transitioned from TRANSITIONING to FAILED: JobFailed: job .* failed after 1 attempt\(s\): JobFailed: boom$/,
    );
  });

  it('a suspend: a savepoint before suspension; an upgrade: the upgrade strategy', () => {
    const { d1 } = started();
    const job = jobOf(d1, 'STARTED');
    const running = after(d1, planDeployment(d1, job, NOW).actions);
    const suspend = withEffective({ ...running, spec: { ...running.spec, spec: { ...running.spec.spec, state: 'SUSPENDED' } } });
    expect(names(eventsOf(suspend, planDeployment(suspend, job, NOW).actions))).toEqual([
      'CREATING_A_SAVEPOINT_BEFORE_SUSPENSION',
      'STATE_TRANSITION_IS_NEEDED',
    ]);
    const spec = running.spec.spec;
    const upgrade = withEffective({
      ...running,
      spec: {
        ...running.spec,
        spec: { ...spec, upgradeStrategy: { kind: 'STATEFUL' }, template: { spec: { ...spec.template.spec, parallelism: 2 } } },
      },
    });
    const events = eventsOf(upgrade, planDeployment(upgrade, job, NOW).actions);
    expect(names(events)).toEqual(['USING_AN_UPGRADE_STRATEGY', 'STATE_TRANSITION_IS_NEEDED']);
    expect(events[0]!.message).toContain(`into ${DIR}`);
  });

  it('a deployment that cannot take its savepoint: FAILED, naming the missing configuration', () => {
    const { d1 } = started();
    const job = jobOf(d1, 'STARTED');
    const running = after(d1, planDeployment(d1, job, NOW).actions);
    const spec = running.spec.spec;
    const noDir = withEffective({
      ...running,
      spec: {
        ...running.spec,
        spec: { ...spec, state: 'SUSPENDED', template: { spec: { ...spec.template.spec, flinkConfiguration: {} } } },
      },
    });
    const jobWithoutDir = {
      ...job,
      spec: { ...job.spec, spec: { ...job.spec.spec, template: { spec: { ...job.spec.spec.template.spec, flinkConfiguration: {} } } } },
    };
    const events = eventsOf(noDir, planDeployment(noDir, jobWithoutDir, NOW).actions);
    expect(names(events)).toEqual(['JOB_IS_NOT_CONFIGURED_WITH_SAVEPOINT_SUPPORT']);
    expect(events[0]!.warning).toBe(true);
  });

  it("a savepoint's progress: triggered, retried, failed, completed", () => {
    const { d1 } = started();
    const running = after(d1, planDeployment(d1, jobOf(d1, 'STARTED'), NOW).actions);
    const suspend = withEffective({ ...running, spec: { ...running.spec, spec: { ...running.spec.spec, state: 'SUSPENDED' } } });
    const create = planDeployment(suspend, jobOf(d1, 'STARTED'), NOW).actions.find((a) => a.type === 'createSavepoint') as Extract<
      Action,
      { type: 'createSavepoint' }
    >;
    const sp = create.savepoint;
    expect(savepointEvent(sp, { kind: 'triggered', attempt: 1, triggerId: 't' }).name).toBe('SUCCESSFULLY_TRIGGERED_A_SAVEPOINT');
    expect(
      savepointEvent(sp, { kind: 'retry', attempt: 1, maxAttempts: 4, failure: { reason: 'SavepointTimeout', message: 'slow' } }),
    ).toMatchObject({
      name: 'RECOVERABLE_FAILURE_WHILE_TRIGGERING_A_SAVEPOINT',
      message: expect.stringContaining('attempt 1 of 4 failed: SavepointTimeout: slow'),
    });
    expect(savepointEvent(sp, { kind: 'failed', failure: { reason: 'SavepointFailed', message: 'disk full' } }).name).toBe(
      'AN_UNRECOVERABLE_FAILURE_WHILE_TAKING_A_SAVEPOINT',
    );
    expect(savepointEvent(sp, { kind: 'completed', location: `${DIR}/savepoint-1` })).toMatchObject({
      name: 'FOUND_A_COMPLETED_SAVEPOINT_READY_FOR_SUSPENSION',
      jobId: sp.spec.spec.jobId,
    });
  });

  it('status writes that keep the state, and following a savepoint, record nothing', () => {
    const { d1 } = started();
    expect(eventsOfAction(d1, { type: 'writeStatus', status: { ...d1.status } })).toEqual([]);
    expect(eventsOfAction(d1, { type: 'ensureJobResources', job: jobOf(d1) })).toEqual([]);
  });

  it('ids: the same decision on the same version is the same event; another version another', () => {
    const { d1 } = started();
    const draft = { name: 'FOUND_A_JOB_TO_TERMINATE' as const, message: 'x', jobId: 'j' };
    expect(eventIdFor(d1, draft)).toBe(eventIdFor(d1, { ...draft }));
    expect(eventIdFor(d1, draft)).not.toBe(eventIdFor({ ...d1, metadata: { ...d1.metadata, resourceVersion: '999' } }, draft));
    expect(eventIdFor(d1, draft, 'savepoint/x/triggered/1')).not.toBe(eventIdFor(d1, draft, 'savepoint/x/triggered/2'));
  });
});

describe('the event log', () => {
  const d = withEffective(deployment());
  it("stores an event on the FlinkDeployment and shows it in VVP's shape", () => {
    const k = kubernetesEvent(
      d,
      { name: 'CREATING_A_NEW_JOB', message: 'Creating job j', jobId: '3f0d7a52-97a4-4c1c-9a1c-0c7a4a1f0b11' },
      'c1b7c0a6-8a8e-4a35-9d55-9f3f3b1d2a11',
      NOW,
    );
    expect(k.involvedObject).toMatchObject({ kind: 'FlinkDeployment', name: d.metadata.name });
    expect(k.type).toBe('Normal');
    expect(eventView(k)).toEqual({
      kind: 'Event',
      apiVersion: 'v1',
      metadata: {
        id: 'c1b7c0a6-8a8e-4a35-9d55-9f3f3b1d2a11',
        name: 'CREATING_A_NEW_JOB',
        namespace: d.spec.metadata.namespace,
        deploymentId: d.spec.metadata.id,
        jobId: '3f0d7a52-97a4-4c1c-9a1c-0c7a4a1f0b11',
        createdAt: NOW,
        resourceVersion: 1,
      },
      spec: { message: 'Creating job j' },
    });
  });

  it('cuts a long message, and keeps only the newest events of a deployment', () => {
    expect(kubernetesEvent(d, { name: 'GENERAL_FAILURE', message: 'x'.repeat(5000) }, 'id', NOW).message).toHaveLength(1000);
    const at = (i: number) => new Date(Date.parse(NOW) + i * 1000).toISOString();
    const events: CoreV1Event[] = [3, 1, 2, 0].map((i) =>
      kubernetesEvent(d, { name: 'GENERAL_FAILURE', message: `${i}` }, `id-${i}`, at(i)),
    );
    expect(eventsBeyond(events, 2).map((e) => e.message)).toEqual(['0', '1']);
    expect(eventsBeyond(events, 4)).toEqual([]);
  });

  it('trims a deployment once every TRIM_EVERY recorded events, so the bound holds without a list per event', () => {
    expect(trimDue(0, 1)).toBe(false);
    expect(trimDue(TRIM_EVERY - 1, TRIM_EVERY)).toBe(true);
    expect(trimDue(TRIM_EVERY, TRIM_EVERY + 1)).toBe(false);
    // A batch that steps over a multiple is due too.
    expect(trimDue(TRIM_EVERY - 1, TRIM_EVERY + 2)).toBe(true);
    // Recording one event at a time, trimming down to TRIM_EVERY below the bound when due: never above it, even for a moment.
    let held = 0;
    let most = 0;
    const lists = { count: 0 };
    for (let n = 1; n <= 1000; n++) {
      held++;
      most = Math.max(most, held);
      if (trimDue(n - 1, n)) {
        lists.count++;
        held = Math.min(held, MAX_EVENTS_PER_DEPLOYMENT - TRIM_EVERY);
      }
    }
    expect(most).toBe(MAX_EVENTS_PER_DEPLOYMENT);
    expect(lists.count).toBe(1000 / TRIM_EVERY);
  });
});
