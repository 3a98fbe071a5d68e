import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { SETTLE_MS, inTransition } from '../../functions/onJobPodStatus/logic.js';
import { type FlinkObservation, cancelledInFlink, decided, deriveJobStatus } from '../../shared/vvp/job-status.js';

const NOW = '2026-11-21T10:00:00.000Z';
const LATER = '2026-11-21T10:01:00.000Z';
const flink = (state: string, extra: Partial<Extract<FlinkObservation, { kind: 'job' }>> = {}): FlinkObservation => ({
  kind: 'job',
  jid: 'f1',
  state,
  tasksRunning: true,
  ...extra,
});
const container = (extra: Record<string, unknown>) => ({
  name: 'flink-main-container',
  image: 'flink:1.20',
  imageID: '',
  ready: false,
  restartCount: 0,
  ...extra,
});
function pod(component: 'jobmanager' | 'taskmanager', phase: string, ready: boolean, extra: Partial<V1Pod['status']> = {}): V1Pod {
  return {
    metadata: { name: `job-1-${component}-${Math.random().toString(36).slice(2, 7)}`, labels: { component } },
    status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], ...extra },
  };
}

describe('job state from pods', () => {
  it('is STARTING until the JobManager and every TaskManager are ready', () => {
    expect(deriveJobStatus(undefined, [], 2, NOW).state).toBe('STARTING');
    const some = [pod('jobmanager', 'Running', true), pod('taskmanager', 'Running', true), pod('taskmanager', 'Pending', false)];
    expect(deriveJobStatus(undefined, some, 2, NOW)).toMatchObject({ state: 'STARTING', pods: { ready: 2, expected: 3 } });
  });

  it('is STARTED once all are ready and Flink runs every task, recording when and what Flink said', () => {
    const all = [pod('jobmanager', 'Running', true), pod('taskmanager', 'Running', true)];
    expect(deriveJobStatus({ state: 'STARTING' }, all, 1, NOW).state).toBe('STARTING'); // pods alone do not say the job runs
    expect(deriveJobStatus({ state: 'STARTING' }, all, 1, NOW, flink('RUNNING', { tasksRunning: false })).state).toBe('STARTING');
    expect(deriveJobStatus({ state: 'STARTING' }, all.slice(0, 1), 1, NOW, flink('RUNNING')).state).toBe('STARTING');
    expect(deriveJobStatus({ state: 'STARTING' }, all, 1, NOW, flink('RUNNING', { restarts: 0 }))).toMatchObject({
      state: 'STARTED',
      started: { startedAt: NOW, flinkJobId: 'f1', observedFlinkJobStatus: 'RUNNING', observedFlinkJobRestarts: 0, lastUpdateTime: NOW },
    });
  });

  it('writes nothing new when Flink says again what the Job records, whatever the order of its stored keys', () => {
    const all = [pod('jobmanager', 'Running', true), pod('taskmanager', 'Running', true)];
    const started = deriveJobStatus({ state: 'STARTING' }, all, 1, NOW, flink('RUNNING', { restarts: 0 }));
    // As read back from the API server: every object's keys in alphabetical order.
    const sorted = (o: object): object =>
      Object.fromEntries(
        Object.entries(o)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) ? sorted(v) : v]),
      );
    const stored = sorted(started) as typeof started;
    expect(Object.keys(stored.started!)[0]).not.toBe(Object.keys(started.started!)[0]);
    expect(deriveJobStatus(stored, all, 1, LATER, flink('RUNNING', { restarts: 0 }))).toEqual(stored);
  });

  it('is FINISHED when the JobManager completes', () => {
    expect(deriveJobStatus({ state: 'STARTED' }, [pod('jobmanager', 'Succeeded', false)], 1, NOW).state).toBe('FINISHED');
  });

  it('is FAILED with the reason when a pod fails', () => {
    const failed = pod('jobmanager', 'Failed', false, {
      containerStatuses: [
        {
          name: 'flink-jobmanager',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 1, reason: 'Error', message: 'ClassNotFoundException' } },
        },
      ],
    });
    const status = deriveJobStatus({ state: 'STARTED' }, [failed], 1, NOW);
    expect(status.state).toBe('FAILED');
    expect(status.failure).toMatchObject({ reason: 'Error', failedAt: NOW });
    expect(status.failure?.message).toMatch(/JobManager pod .* failed \(exit code 1\): ClassNotFoundException/);
  });

  it('never moves backwards: a late not-ready event after STARTED, anything after a terminal state', () => {
    const late = [pod('jobmanager', 'Pending', false)];
    expect(deriveJobStatus({ state: 'STARTED', started: { startedAt: 'x' } }, late, 1, NOW)).toMatchObject({
      state: 'STARTED',
      started: { startedAt: 'x' },
    });
    for (const state of ['FAILED', 'FINISHED', 'TERMINATED', 'TERMINATING'] as const) {
      expect(deriveJobStatus({ state }, [pod('jobmanager', 'Running', true), pod('taskmanager', 'Running', true)], 1, NOW)).toEqual({
        state,
      });
      // So its pods need not even be read.
      expect(decided({ state })).toBe(true);
    }
    expect(decided(undefined)).toBe(false);
    expect(decided({ state: 'STARTING' })).toBe(false);
    expect(decided({ state: 'STARTED' })).toBe(false);
  });

  it('fails when no JobManager is left and its Kubernetes Job is deleted or failed; keeps the state while the Job brings one back', () => {
    const taskManager = [pod('taskmanager', 'Running', true)];
    const started = { state: 'STARTED' as const, started: { startedAt: NOW, observedFlinkJobStatus: 'RUNNING' } };
    expect(deriveJobStatus(started, taskManager, 1, LATER, { kind: 'none' }, { kind: 'present' })).toMatchObject({
      state: 'STARTED',
      pods: { ready: 1, expected: 2 },
    });
    expect(deriveJobStatus(started, taskManager, 1, LATER, { kind: 'none' }, { kind: 'gone', name: 'job-1-jobmanager' })).toMatchObject({
      state: 'FAILED',
      failure: {
        reason: 'JobManagerLost',
        message: 'the JobManager is gone: its Kubernetes Job job-1-jobmanager was deleted',
        failedAt: LATER,
      },
    });
    expect(
      deriveJobStatus(
        { state: 'STARTING' },
        [],
        1,
        LATER,
        { kind: 'none' },
        { kind: 'failed', name: 'job-1-jobmanager', message: 'Job has reached the specified backoff limit' },
      ),
    ).toMatchObject({
      state: 'FAILED',
      failure: {
        reason: 'JobManagerFailed',
        message: "the JobManager's Kubernetes Job job-1-jobmanager failed: Job has reached the specified backoff limit",
      },
    });
    // A pod's own failure is the better reason.
    const failedJm = pod('jobmanager', 'Failed', false, {
      containerStatuses: [container({ state: { terminated: { exitCode: 2, reason: 'Error' } } })],
    });
    expect(
      deriveJobStatus(started, [failedJm], 1, LATER, { kind: 'none' }, { kind: 'gone', name: 'job-1-jobmanager' }).failure?.reason,
    ).toBe('Error');
  });

  it('shows why a pod cannot be scheduled, without failing the job: capacity may come', () => {
    const pending = pod('taskmanager', 'Pending', false, {
      conditions: [
        { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' },
      ],
    });
    const status = deriveJobStatus({ state: 'STARTING' }, [pod('jobmanager', 'Running', true), pending], 1, NOW);
    expect(status.state).toBe('STARTING');
    expect(status.pods).toEqual({
      ready: 1,
      expected: 2,
      unschedulable: `TaskManager pod ${pending.metadata!.name} cannot be scheduled: 0/3 nodes are available: 3 Insufficient cpu.`,
    });
    // Placed after all: the message goes.
    expect(
      deriveJobStatus(status, [pod('jobmanager', 'Running', true), pod('taskmanager', 'Running', true)], 1, LATER, flink('RUNNING')).pods,
    ).toEqual({ ready: 2, expected: 2 });
  });

  it('ignores pods being deleted', () => {
    const leaving = {
      ...pod('taskmanager', 'Failed', false),
      metadata: { name: 'old', labels: { component: 'taskmanager' }, deletionTimestamp: new Date() },
    };
    expect(
      deriveJobStatus(
        undefined,
        [pod('jobmanager', 'Running', true), leaving as V1Pod, pod('taskmanager', 'Running', true)],
        1,
        NOW,
        flink('RUNNING'),
      ).state,
    ).toBe('STARTED');
  });
});

describe("job state from Flink's word", () => {
  const up = [pod('jobmanager', 'Running', true), pod('taskmanager', 'Running', true)];
  const running = deriveJobStatus({ state: 'STARTING' }, up, 1, NOW, flink('RUNNING'));

  it('stays STARTED while Flink restarts the job, showing RESTARTING and the restart count; the job is in transition', () => {
    const restarting = deriveJobStatus(running, up, 1, LATER, flink('RESTARTING', { restarts: 2 }));
    expect(restarting).toMatchObject({
      state: 'STARTED',
      started: { startedAt: NOW, observedFlinkJobStatus: 'RESTARTING', observedFlinkJobRestarts: 2, lastUpdateTime: LATER },
    });
    const at = (iso: string, plusMs = 0) => Date.parse(iso) + plusMs;
    expect(inTransition(restarting, at(LATER, 3_600_000))).toBe(true);
    expect(inTransition({ state: 'STARTING' }, at(NOW))).toBe(true);
    // RUNNING: watched while it settles, then it costs nothing.
    expect(inTransition(running, at(NOW, SETTLE_MS - 1))).toBe(true);
    expect(inTransition(running, at(NOW, SETTLE_MS))).toBe(false);
    expect(inTransition({ state: 'FAILED' }, at(NOW))).toBe(false);
  });

  it("ends FAILED with Flink's root exception when Flink fails the job", () => {
    const failed = deriveJobStatus(
      running,
      up,
      1,
      LATER,
      flink('FAILED', { rootException: { message: 'java.lang.RuntimeException: boom' } }),
    );
    expect(failed).toMatchObject({
      state: 'FAILED',
      failure: { reason: 'FlinkJobFailed', message: 'java.lang.RuntimeException: boom', failedAt: LATER },
      started: { observedFlinkJobStatus: 'FAILED' },
    });
  });

  it('is TERMINATED, cancelled in Flink, when Flink cancelled it (or the JobManager exited 0 after CANCELLING)', () => {
    const cancelled = deriveJobStatus(running, up, 1, LATER, flink('CANCELED'));
    expect(cancelled.state).toBe('TERMINATED');
    expect(cancelledInFlink(cancelled)).toBe(true);
    const cancelling = deriveJobStatus(running, up, 1, LATER, flink('CANCELLING'));
    const exited = deriveJobStatus(cancelling, [pod('jobmanager', 'Succeeded', false)], 1, LATER, { kind: 'none' });
    expect(cancelledInFlink(exited)).toBe(true);
    expect(deriveJobStatus(running, [pod('jobmanager', 'Succeeded', false)], 1, LATER).state).toBe('FINISHED');
    expect(deriveJobStatus(running, up, 1, LATER, flink('FINISHED')).state).toBe('FINISHED');
  });

  it('a TaskManager crash-looping, or an image that cannot be pulled, fails the attempt (pods decide what Flink cannot)', () => {
    const looping = pod('taskmanager', 'Running', false, {
      containerStatuses: [
        container({
          restartCount: 1,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', message: 'no slots' } },
        }),
      ],
    });
    expect(
      deriveJobStatus(
        { state: 'STARTING' },
        [pod('jobmanager', 'Running', true), looping],
        1,
        NOW,
        flink('RUNNING', { tasksRunning: false }),
      ),
    ).toMatchObject({
      state: 'FAILED',
      failure: { reason: 'CrashLoopBackOff' },
    });
    const oom = pod('taskmanager', 'Running', true, {
      containerStatuses: [container({ restartCount: 3, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } })],
    });
    expect(deriveJobStatus(running, [pod('jobmanager', 'Running', true), oom], 1, NOW, flink('RESTARTING')).failure?.reason).toBe(
      'OOMKilled',
    );
    const pull = pod('jobmanager', 'Pending', false, {
      containerStatuses: [container({ state: { waiting: { reason: 'ImagePullBackOff', message: 'not found' } } })],
    });
    expect(deriveJobStatus({ state: 'STARTING' }, [pull], 1, NOW).failure).toMatchObject({ reason: 'ImagePullBackOff' });
  });

  it("Flink's terminal word stands over a pod's: FAILED with the exception, not the exit code", () => {
    const exited = pod('jobmanager', 'Running', true, {
      containerStatuses: [container({ lastState: { terminated: { exitCode: 1443 } } })],
    });
    expect(deriveJobStatus(running, [exited], 1, LATER, flink('FAILED', { rootException: { message: 'boom' } })).failure?.message).toBe(
      'boom',
    );
  });

  it('duplicated or reordered observations change nothing once decided', () => {
    const restarting = deriveJobStatus(running, up, 1, LATER, flink('RESTARTING', { restarts: 1 }));
    expect(deriveJobStatus(restarting, up, 1, '2026-11-21T10:02:00.000Z', flink('RESTARTING', { restarts: 1 }))).toEqual(restarting);
    const failed = deriveJobStatus(restarting, up, 1, LATER, flink('FAILED', { rootException: { message: 'boom' } }));
    for (const late of [flink('RUNNING'), flink('RESTARTING'), flink('CANCELED')])
      expect(deriveJobStatus(failed, up, 1, LATER, late)).toEqual(failed);
    // A STARTING observation after RUNNING (an older answer) does not move the job back.
    expect(deriveJobStatus(running, up, 1, LATER, flink('CREATED')).state).toBe('STARTED');
  });
});
