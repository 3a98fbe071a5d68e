import type { V1Pod } from '@kubernetes/client-node';
import type { JobState, JobStatusLike } from '../../shared/vvp/crs.js';

/**
 * A Job's state from its pods. Pure. Order of states: STARTING < STARTED < a terminal
 * state (FAILED, FINISHED, TERMINATED); the result never moves backwards from what the
 * Job already records, so late or duplicated pod events cannot regress it.
 */
const RANK: Record<JobState, number> = { STARTING: 0, STARTED: 1, TERMINATING: 2, TERMINATED: 3, FAILED: 3, FINISHED: 3 };

const isReady = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const component = (p: V1Pod) => p.metadata?.labels?.component;

/** A container that exited with an error: now, or before its restart (restartPolicy OnFailure). */
const failedExit = (p: V1Pod) =>
  p.status?.containerStatuses?.flatMap((c) => [c.state?.terminated, c.lastState?.terminated]).find((t) => t && t.exitCode !== 0);

function failureOf(p: V1Pod): { reason: string; message: string } {
  const terminated = failedExit(p);
  const who = component(p) === 'jobmanager' ? 'JobManager' : 'TaskManager';
  if (terminated) {
    return {
      reason: terminated.reason ?? 'Error',
      message: `${who} pod ${p.metadata?.name} failed (exit code ${terminated.exitCode})${terminated.message ? `: ${terminated.message}` : ''}`,
    };
  }
  return { reason: p.status?.reason ?? 'PodFailed', message: `${who} pod ${p.metadata?.name} failed${p.status?.message ? `: ${p.status.message}` : ''}` };
}

export function deriveJobStatus(current: JobStatusLike | undefined, pods: V1Pod[], expectedTaskManagers: number, now: string): JobStatusLike {
  const prev = current ?? {};
  const prevState = prev.state ?? 'STARTING';
  if (RANK[prevState] >= 2) return prev; // terminal (or being terminated by the deployment step): pods no longer decide
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const jobManagers = live.filter((p) => component(p) === 'jobmanager');
  const taskManagers = live.filter((p) => component(p) === 'taskmanager');
  const readyTaskManagers = taskManagers.filter(isReady).length;
  const pods_ = { ready: jobManagers.filter(isReady).length + readyTaskManagers, expected: 1 + expectedTaskManagers };

  let next: JobState = 'STARTING';
  let failure: JobStatusLike['failure'];
  if (jobManagers.some((p) => p.status?.phase === 'Succeeded')) next = 'FINISHED';
  else {
    // A JobManager restarted in place (restartPolicy OnFailure) has failed once: Sluice counts attempts itself.
    const failed =
      jobManagers.find((p) => p.status?.phase === 'Failed' || failedExit(p)) ?? taskManagers.find((p) => p.status?.phase === 'Failed');
    if (failed) {
      next = 'FAILED';
      failure = { ...failureOf(failed), failedAt: now };
    } else if (jobManagers.some(isReady) && readyTaskManagers >= expectedTaskManagers) next = 'STARTED';
  }
  if (RANK[next] < RANK[prevState]) next = prevState;
  return {
    ...prev,
    state: next,
    pods: pods_,
    ...(next === 'STARTED' && !prev.started ? { started: { startedAt: now } } : {}),
    ...(failure && !prev.failure ? { failure } : {}),
    ...(RANK[next] === 3 && !prev.terminatedAt ? { terminatedAt: now } : {}),
  };
}
