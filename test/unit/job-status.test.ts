import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { deriveJobStatus } from '../../functions/onJobPodStatus/logic.js';

const NOW = '2026-11-21T10:00:00.000Z';
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

  it('is STARTED once all are ready, recording when', () => {
    const all = [pod('jobmanager', 'Running', true), pod('taskmanager', 'Running', true)];
    expect(deriveJobStatus({ state: 'STARTING' }, all, 1, NOW)).toMatchObject({ state: 'STARTED', started: { startedAt: NOW } });
  });

  it('is FINISHED when the JobManager completes', () => {
    expect(deriveJobStatus({ state: 'STARTED' }, [pod('jobmanager', 'Succeeded', false)], 1, NOW).state).toBe('FINISHED');
  });

  it('is FAILED with the reason when a pod fails', () => {
    const failed = pod('jobmanager', 'Failed', false, {
      containerStatuses: [{ name: 'flink-jobmanager', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error', message: 'ClassNotFoundException' } } }],
    });
    const status = deriveJobStatus({ state: 'STARTED' }, [failed], 1, NOW);
    expect(status.state).toBe('FAILED');
    expect(status.failure).toMatchObject({ reason: 'Error', failedAt: NOW });
    expect(status.failure?.message).toMatch(/JobManager pod .* failed \(exit code 1\): ClassNotFoundException/);
  });

  it('never moves backwards: a late not-ready event after STARTED, anything after a terminal state', () => {
    const late = [pod('jobmanager', 'Pending', false)];
    expect(deriveJobStatus({ state: 'STARTED', started: { startedAt: 'x' } }, late, 1, NOW)).toMatchObject({ state: 'STARTED', started: { startedAt: 'x' } });
    for (const state of ['FAILED', 'FINISHED', 'TERMINATED', 'TERMINATING'] as const) {
      expect(deriveJobStatus({ state }, [pod('jobmanager', 'Running', true), pod('taskmanager', 'Running', true)], 1, NOW)).toEqual({ state });
    }
  });

  it('ignores pods being deleted', () => {
    const leaving = { ...pod('taskmanager', 'Failed', false), metadata: { name: 'old', labels: { component: 'taskmanager' }, deletionTimestamp: new Date() } };
    expect(deriveJobStatus(undefined, [pod('jobmanager', 'Running', true), leaving as V1Pod, pod('taskmanager', 'Running', true)], 1, NOW).state).toBe('STARTED');
  });
});
