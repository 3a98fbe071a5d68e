import { isDeepStrictEqual } from 'node:util';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { JobCrStatus, JobState } from '../model/index.js';

/**
 * A Job's state from Flink's own word and its pods. Pure.
 *
 * Flink decides whether the job runs: STARTED only once the JobManager's REST API reports the
 * job RUNNING (or past it: RESTARTING, FAILING, CANCELLING mean it ran); its terminal states
 * end the Job (FAILED with Flink's root exception, CANCELED as TERMINATED, FINISHED). Flink's
 * own state and restart count are shown in `status.started`, as VVP does.
 *
 * Pods decide what Flink cannot say: a JobManager that exited (FINISHED on success, else
 * FAILED with its exit), a container Kubernetes gave up restarting (CrashLoopBackOff, or
 * CRASH_LOOP_RESTARTS restarts), an image that cannot be pulled, a JobManager gone for good
 * (its Kubernetes Job deleted or failed). Each of those fails this attempt; the deployment
 * step starts the next one, up to maxJobCreationAttempts. A pod the scheduler cannot place
 * is shown (`pods.unschedulable`), not failed: capacity may come.
 *
 * Order of states: STARTING < STARTED < a terminal state; the result never moves backwards
 * from what the Job already records, so late, duplicated or reordered events cannot regress it.
 */
const RANK: Record<JobState, number> = { STARTING: 0, STARTED: 1, TERMINATING: 2, TERMINATED: 3, FAILED: 3, FINISHED: 3 };

/** What Sluice learnt from the JobManager's REST API in this step. */
export type FlinkObservation =
  /** Not asked: no JobManager pod is ready. */
  | { kind: 'none' }
  /** Asked, no answer (JobManager starting, gone or overloaded). */
  | { kind: 'unreachable'; message: string }
  /** The JobManager answers but does not know the job yet (application mode: still submitting it). */
  | { kind: 'unknown-job' }
  | { kind: 'job'; jid: string; state: string; tasksRunning?: boolean; restarts?: number; rootException?: { message: string } };

/**
 * The JobManager's Kubernetes Job, read only when none of its pods is left: while the Job is
 * there its controller brings a JobManager back (which recovers the job from HA); once the Job
 * is deleted or has failed, none will come.
 */
export type JobManagerJob =
  { kind: 'not-read' } | { kind: 'present' } | { kind: 'gone'; name: string } | { kind: 'failed'; name: string; message: string };

/** A container restarted this often is crash-looping, whatever Kubernetes' back-off says now. */
export const CRASH_LOOP_RESTARTS = 3;
/** Waiting reasons Kubernetes does not get out of by itself. */
const STUCK_WAITING = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
]);
/** Flink's job states (JobStatus) in which the job has been running. */
const RAN = new Set(['RUNNING', 'RESTARTING', 'FAILING', 'CANCELLING', 'SUSPENDED']);

const isReady = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const component = (p: V1Pod) => p.metadata?.labels?.component;
const who = (p: V1Pod) => (component(p) === 'jobmanager' ? 'JobManager' : 'TaskManager');
const containersOf = (p: V1Pod): V1ContainerStatus[] => [
  ...(p.status?.initContainerStatuses ?? []),
  ...(p.status?.containerStatuses ?? []),
];

/** A container that exited with an error: now, or before its restart (restartPolicy OnFailure). */
const failedExit = (p: V1Pod) =>
  p.status?.containerStatuses?.flatMap((c) => [c.state?.terminated, c.lastState?.terminated]).find((t) => t && t.exitCode !== 0);

/** Why a pod will not come up by itself: a container stuck waiting, or restarted too often. */
function stuck(p: V1Pod): { reason: string; message: string } | undefined {
  for (const c of containersOf(p)) {
    const waiting = c.state?.waiting;
    const last = c.lastState?.terminated;
    const looping = waiting?.reason === 'CrashLoopBackOff' || (c.restartCount ?? 0) >= CRASH_LOOP_RESTARTS;
    if (looping) {
      const exit = last ? ` (last exit code ${last.exitCode}${last.reason && last.reason !== 'Error' ? `, ${last.reason}` : ''})` : '';
      return {
        reason: last?.reason === 'OOMKilled' ? 'OOMKilled' : 'CrashLoopBackOff',
        message: `${who(p)} pod ${p.metadata?.name} is crash-looping: container ${c.name} restarted ${c.restartCount ?? 0} time(s)${exit}${last?.message ? `: ${last.message}` : ''}`,
      };
    }
    if (waiting?.reason && STUCK_WAITING.has(waiting.reason)) {
      return {
        reason: waiting.reason,
        message: `${who(p)} pod ${p.metadata?.name}: container ${c.name} ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`,
      };
    }
  }
  return undefined;
}

function exitFailure(p: V1Pod): { reason: string; message: string } {
  const terminated = failedExit(p);
  if (terminated) {
    return {
      reason: terminated.reason ?? 'Error',
      message: `${who(p)} pod ${p.metadata?.name} failed (exit code ${terminated.exitCode})${terminated.message ? `: ${terminated.message}` : ''}`,
    };
  }
  return {
    reason: p.status?.reason ?? 'PodFailed',
    message: `${who(p)} pod ${p.metadata?.name} failed${p.status?.message ? `: ${p.status.message}` : ''}`,
  };
}

/** What the pods say on their own: an attempt that failed or ended, or nothing decisive. */
function podVerdict(pods: V1Pod[]): { state: 'FAILED'; failure: { reason: string; message: string } } | { state: 'EXITED' } | undefined {
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const jobManagers = live.filter((p) => component(p) === 'jobmanager');
  const taskManagers = live.filter((p) => component(p) === 'taskmanager');
  if (jobManagers.some((p) => p.status?.phase === 'Succeeded')) return { state: 'EXITED' };
  // A JobManager restarted in place (restartPolicy OnFailure) has failed once: Sluice counts attempts itself.
  const failed =
    jobManagers.find((p) => p.status?.phase === 'Failed' || failedExit(p)) ?? taskManagers.find((p) => p.status?.phase === 'Failed');
  if (failed) return { state: 'FAILED', failure: exitFailure(failed) };
  for (const p of [...jobManagers, ...taskManagers]) {
    const why = stuck(p);
    if (why) return { state: 'FAILED', failure: why };
  }
  return undefined;
}

/** Why the JobManager will not come back, when its Kubernetes Job says so. */
function jobManagerLost(jm: JobManagerJob): { reason: string; message: string } | undefined {
  if (jm.kind === 'gone') return { reason: 'JobManagerLost', message: `the JobManager is gone: its Kubernetes Job ${jm.name} was deleted` };
  if (jm.kind === 'failed')
    return { reason: 'JobManagerFailed', message: `the JobManager's Kubernetes Job ${jm.name} failed: ${jm.message}` };
  return undefined;
}

/** The scheduler's message for the first live pod it cannot place. */
function unschedulable(pods: V1Pod[]): string | undefined {
  for (const p of pods) {
    const c =
      p.status?.phase === 'Pending'
        ? p.status.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False' && x.reason === 'Unschedulable')
        : undefined;
    if (c) return `${who(p)} pod ${p.metadata?.name} cannot be scheduled${c.message ? `: ${c.message}` : ''}`;
  }
  return undefined;
}

/**
 * A job that ended, or that the deployment step is stopping: nothing its pods or Flink say
 * decides its state any more (deriveJobStatus keeps it as it is).
 */
export const decided = (status: JobCrStatus | undefined): boolean => RANK[status?.state ?? 'STARTING'] >= 2;

/** Flink's job state as the Job's: its VVP state, and the failure Flink reported. */
function fromFlink(flink: FlinkObservation): { state: JobState; failure?: { reason: string; message: string } } | undefined {
  if (flink.kind !== 'job') return undefined;
  switch (flink.state) {
    case 'FAILED':
      return {
        state: 'FAILED',
        failure: { reason: 'FlinkJobFailed', message: flink.rootException?.message ?? 'Flink reports the job FAILED' },
      };
    case 'CANCELED':
      return { state: 'TERMINATED' };
    case 'FINISHED':
      return { state: 'FINISHED' };
    default:
      return RAN.has(flink.state) ? { state: 'STARTED' } : { state: 'STARTING' };
  }
}

export function deriveJobStatus(
  current: JobCrStatus | undefined,
  pods: V1Pod[],
  expectedTaskManagers: number,
  now: string,
  flink: FlinkObservation = { kind: 'none' },
  jobManagerJob: JobManagerJob = { kind: 'not-read' },
): JobCrStatus {
  const prev = current ?? {};
  const prevState = prev.state ?? 'STARTING';
  if (decided(prev)) return prev;
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const ready = (c: string) => live.filter((p) => component(p) === c && isReady(p)).length;
  const waiting = unschedulable(live);
  const pods_ = {
    ready: ready('jobmanager') + ready('taskmanager'),
    expected: 1 + expectedTaskManagers,
    ...(waiting ? { unschedulable: waiting } : {}),
  };

  const observed = flink.kind === 'job' ? flink.state : undefined;
  const byFlink = fromFlink(flink);
  const lost = jobManagerLost(jobManagerJob);
  const byPods = podVerdict(pods) ?? (lost ? { state: 'FAILED' as const, failure: lost } : undefined);
  let next: JobState = byFlink?.state ?? 'STARTING';
  // A first start counts once every task runs on the TaskManagers asked for: before that Flink refuses savepoints.
  const allUp = ready('jobmanager') > 0 && ready('taskmanager') >= expectedTaskManagers;
  if (
    next === 'STARTED' &&
    prevState === 'STARTING' &&
    observed === 'RUNNING' &&
    !(allUp && flink.kind === 'job' && flink.tasksRunning !== false)
  )
    next = 'STARTING';
  let failure: { reason: string; message: string } | undefined = byFlink?.failure;
  // Flink's terminal word stands; otherwise a pod's end decides.
  if (!byFlink || RANK[byFlink.state] < 3) {
    if (byPods?.state === 'FAILED') {
      next = 'FAILED';
      failure = byPods.failure;
    } else if (byPods?.state === 'EXITED') {
      // The JobManager exited 0 (Flink shut the cluster down): cancelled if Flink last said so, else finished.
      const last = observed ?? prev.started?.observedFlinkJobStatus;
      next = last === 'CANCELLING' || last === 'CANCELED' ? 'TERMINATED' : 'FINISHED';
    }
  }
  if (RANK[next] < RANK[prevState]) next = prevState;

  const started =
    next === 'STARTING'
      ? prev.started
      : {
          startedAt: prev.started?.startedAt ?? now,
          ...prev.started,
          ...(flink.kind === 'job' ? { flinkJobId: flink.jid, observedFlinkJobStatus: flink.state } : {}),
          ...(flink.kind === 'job' && flink.restarts !== undefined ? { observedFlinkJobRestarts: flink.restarts } : {}),
        };
  // By value, not by key order: the API server hands objects back with their keys sorted.
  const startedChanged = !isDeepStrictEqual(started, prev.started);
  return {
    ...prev,
    state: next,
    pods: pods_,
    ...(started ? { started: startedChanged && next !== 'STARTING' ? { ...started, lastUpdateTime: now } : started } : {}),
    ...(next === 'FAILED' && failure && !prev.failure ? { failure: { ...failure, failedAt: now } } : {}),
    ...(RANK[next] === 3 && !prev.terminatedAt ? { terminatedAt: now } : {}),
  };
}

/** Whether Flink itself cancelled the job (not Sluice): the Deployment is CANCELLED, and no new job starts. */
export const cancelledInFlink = (status: JobCrStatus | undefined): boolean =>
  status?.state === 'TERMINATED' &&
  (status.started?.observedFlinkJobStatus === 'CANCELED' || status.started?.observedFlinkJobStatus === 'CANCELLING');

/**
 * Whether a job's Kubernetes objects are gone: Sluice terminated it, or its end was cleaned up.
 * A job Flink cancelled is TERMINATED with its objects still there, until they are cleaned up.
 */
export const resourcesDeleted = (job: { status?: JobCrStatus }): boolean =>
  job.status?.sluice?.resourcesDeleted === true || (job.status?.state === 'TERMINATED' && !cancelledInFlink(job.status));
