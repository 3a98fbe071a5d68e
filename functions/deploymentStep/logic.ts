import { wantsKubernetesHa } from '../../shared/vvp/flink-config.js';
import type {
  CurrentJob,
  DeploymentCrStatus,
  DeploymentResource,
  DeploymentState,
  JobResource,
  JobRestore,
  JobState,
  SavepointOrigin,
  SavepointResource,
} from '../../shared/model/index.js';
import { JOB_RESOURCES_FINALIZER, LABELS } from '../../shared/model/naming.js';
import { FLINK_JOBS, ownedByDeployment } from '../../shared/kube/resources.js';
import { jobIdFor, stableHash } from '../../shared/vvp/ids.js';
import { PURPOSE_ANNOTATION, savepointDirectoryOf } from '../../shared/vvp/savepoint-directory.js';
import { savepointRecord } from '../../shared/vvp/savepoint-record.js';
import { cancelledInFlink, resourcesDeleted } from '../../shared/vvp/job-status.js';
import { type SavepointRequest, savepointIdFor, savepointRequestFor } from './savepoint-plan.js';

export { PURPOSE_ANNOTATION, savepointDirectoryOf };

/**
 * The decisions of one deployment step, given what is observed: the Deployment (with the
 * effective spec applyPatchSet recorded), its current Job and the Deployment's Savepoints.
 * Pure; the shell carries out the actions in order and stops at the first conflict.
 *
 * Stopping a job with a savepoint (SUSPENDED, STATEFUL upgrade) is three moves, each one
 * found again from what is stored if a step dies in between:
 *   1. createSavepoint (state STARTED, id derived from the job and the purpose), then
 *      markJobTerminating (pods no longer decide the job's state), then takeSavepoint;
 *   2. takeSavepoint: stop-with-savepoint through the JobManager's REST API, recorded on the
 *      Savepoint as COMPLETED (with its location) or FAILED (after maxSavepointCreationAttempts);
 *   3. a COMPLETED one means the job has stopped: terminateJob, then carry on with the desired
 *      state (SUSPENDED, or start the new job restoring from it). A FAILED one leaves the job
 *      running (resumeJob) and the Deployment FAILED with the reason.
 */
export type Action =
  /** Deletes the job's Kubernetes objects and records that (TERMINATED, unless it already FAILED or FINISHED). */
  | { type: 'terminateJob'; job: JobResource }
  /** The Deployment keeps the finalizer while a job of it may have Kubernetes objects. */
  | { type: 'addFinalizer' }
  | { type: 'removeFinalizer' }
  | { type: 'writeStatus'; status: DeploymentCrStatus }
  | { type: 'createJob'; job: JobResource }
  | { type: 'ensureJobResources'; job: JobResource }
  /** Records a savepoint Sluice is about to take (state STARTED); already existing is fine. */
  | { type: 'createSavepoint'; savepoint: SavepointResource }
  /** The job is being stopped by Sluice: from now on its pods no longer decide its state. */
  | { type: 'markJobTerminating'; job: JobResource }
  /** Triggers (once per attempt) and follows the savepoint; records COMPLETED or FAILED on it. */
  | { type: 'takeSavepoint'; savepoint: SavepointResource; job: JobResource; request: SavepointRequest }
  /** Its stopping savepoint failed: the job keeps running; its pods decide its state again. */
  | { type: 'resumeJob'; job: JobResource }
  /** A savepoint asked for that cannot be taken (its job no longer runs): recorded FAILED. */
  | { type: 'failSavepoint'; savepoint: SavepointResource; failure: { reason: string; message: string } };

export interface Plan {
  actions: Action[];
  reason: string;
}

export const DEFAULT_MAX_JOB_CREATION_ATTEMPTS = 4;
const TERMINAL: readonly JobState[] = ['TERMINATED', 'FAILED', 'FINISHED'];

/** Flink failed the job itself, its restart strategy exhausted: another attempt would fail the same way. */
const failedInFlink = (job: JobResource) => job.status?.state === 'FAILED' && job.status.failure?.reason === 'FlinkJobFailed';
/** The job runs: Flink said RUNNING when it last answered (a record from before Flink was asked: started is enough). */
const flinkRunning = (job: JobResource) =>
  job.status?.state === 'STARTED' && (job.status.started?.observedFlinkJobStatus ?? 'RUNNING') === 'RUNNING';

/** Deletes the job's objects unless they are gone: whatever a job's state, nothing of it outlives it. */
const release = (job: JobResource | undefined): Action[] => (job && !resourcesDeleted(job) ? [{ type: 'terminateJob', job }] : []);

const hasFinalizer = (d: DeploymentResource) => d.metadata.finalizers?.includes(JOB_RESOURCES_FINALIZER) ?? false;

/**
 * A Deployment being deleted: every job of it that may still have Kubernetes objects is
 * terminated, then the finalizer goes and Kubernetes deletes the Deployment (and, through
 * owner references, its Job and Savepoint records). `jobs` are all of the Deployment's jobs.
 */
export function planDeletion(d: DeploymentResource, jobs: readonly JobResource[]): Plan {
  if (!hasFinalizer(d)) return { actions: [], reason: 'being deleted; nothing of its jobs is left' };
  const live = jobs.flatMap(release);
  return {
    actions: [...live, { type: 'removeFinalizer' }],
    reason: `being deleted: ${live.length} job(s) to stop, then the finalizer goes`,
  };
}
const ACTIVE: readonly JobState[] = ['STARTING', 'STARTED'];
const STOP_ORIGINS: readonly SavepointOrigin[] = ['SUSPEND', 'SUSPEND_AND_UPGRADE'];
const createdAtOf = (s: SavepointResource) => Date.parse(s.spec.metadata.createdAt) || Date.parse(s.metadata.creationTimestamp ?? '') || 0;

/**
 * What a new job restores from, per the restore strategy (VVP): LATEST_SAVEPOINT (the
 * default) takes the newest COMPLETED Savepoint of the Deployment except retained
 * checkpoints, LATEST_STATE the newest of any origin, NONE nothing.
 */
export function restoreFor(d: DeploymentResource, savepoints: readonly SavepointResource[]): JobRestore | undefined {
  const strategy = (d.status?.sluice?.effective?.spec ?? d.spec.spec).restoreStrategy;
  const kind = strategy?.kind ?? 'LATEST_SAVEPOINT';
  if (kind === 'NONE') return undefined;
  const latest = savepoints
    .filter((s) => s.spec.spec.deploymentId === d.spec.metadata.id && s.status?.state === 'COMPLETED')
    .filter((s) => kind === 'LATEST_STATE' || s.spec.spec.savepointOrigin !== 'RETAINED_CHECKPOINT')
    .sort((a, b) => createdAtOf(b) - createdAtOf(a) || b.spec.metadata.id.localeCompare(a.spec.metadata.id))[0];
  if (!latest) return undefined;
  return {
    savepointId: latest.spec.metadata.id,
    location: latest.spec.spec.savepointLocation,
    ...(strategy?.allowNonRestoredState ? { allowNonRestoredState: true } : {}),
  };
}

/** What defines a job run: a change of any of it while RUNNING means an upgrade. */
export function templateHash(d: DeploymentResource): string {
  const spec = d.status?.sluice?.effective?.spec ?? d.spec.spec;
  return stableHash({ template: spec.template, restore: spec.restoreStrategy });
}

function jobFor(d: DeploymentResource, job: CurrentJob, now: string): JobResource {
  const effective = d.status!.sluice!.effective!;
  const spec = effective.spec!;
  return {
    apiVersion: FLINK_JOBS.apiVersion,
    kind: FLINK_JOBS.kind,
    metadata: {
      name: `${d.spec.metadata.namespace}.${job.id}`,
      namespace: d.metadata.namespace,
      labels: { [LABELS.vnamespace]: d.spec.metadata.namespace, [LABELS.id]: job.id, [LABELS.deploymentId]: d.spec.metadata.id },
      // Deleting the Deployment removes its Jobs' records too.
      ...ownedByDeployment(d.metadata),
    },
    spec: {
      metadata: { id: job.id, name: job.id, namespace: d.spec.metadata.namespace, createdAt: now, modifiedAt: now },
      spec: {
        deploymentId: d.spec.metadata.id,
        deploymentName: d.spec.metadata.name,
        deploymentObjectName: d.metadata.name,
        ...(effective.targetId ? { deploymentTargetId: effective.targetId } : {}),
        targetNamespace: effective.targetNamespace!,
        seq: job.seq,
        attempt: job.attempt,
        specHash: job.specHash,
        ...(job.restore ? { restore: structuredClone(job.restore) } : {}),
        template: jobTemplate(spec.template, spec.restoreStrategy?.kind),
      },
    },
  };
}

/**
 * The template a job runs: the deployment's, with Flink's Kubernetes HA when it restores
 * LATEST_STATE (a JobManager that restarts recovers from its latest checkpoint).
 */
export function jobTemplate(
  template: DeploymentResource['spec']['spec']['template'],
  restoreKind: string | undefined,
): DeploymentResource['spec']['spec']['template'] {
  const copy = structuredClone(template);
  const conf = copy.spec.flinkConfiguration ?? {};
  if (restoreKind === 'LATEST_STATE' && !wantsKubernetesHa(conf))
    copy.spec.flinkConfiguration = { ...conf, 'high-availability.type': 'kubernetes' };
  return copy;
}

/** The Savepoint that stopping `job` for `origin` records, before it is taken. */
function stopSavepointFor(
  d: DeploymentResource,
  job: JobResource,
  origin: SavepointOrigin,
  purpose: string,
  targetDirectory: string,
  now: string,
): SavepointResource {
  return savepointRecord({
    vns: d.spec.metadata.namespace,
    id: savepointIdFor(job.spec.metadata.id, purpose),
    namespace: d.metadata.namespace!,
    deployment: d,
    spec: { savepointLocation: targetDirectory, deploymentId: d.spec.metadata.id, jobId: job.spec.metadata.id, savepointOrigin: origin },
    purpose,
    now,
  });
}

const purposeOf = (s: SavepointResource) => s.metadata.annotations?.[PURPOSE_ANNOTATION] ?? s.spec.spec.savepointOrigin;

function sameStatus(a: DeploymentCrStatus | undefined, b: DeploymentCrStatus): boolean {
  return stableHash(a ?? {}) === stableHash(b);
}

/** The next status: the state given, keeping transitionTime unless the state changes. */
function statusWith(
  d: DeploymentResource,
  state: DeploymentState,
  now: string,
  extra: { job?: CurrentJob; jobSeq?: number; failure?: DeploymentCrStatus['failure'] } = {},
): DeploymentCrStatus {
  const prev = d.status ?? {};
  const job = 'job' in extra ? extra.job : prev.sluice?.job;
  const changed = prev.state !== state || prev.running?.jobId !== job?.id;
  const sluice = { ...prev.sluice, ...(job ? { job } : {}), ...(extra.jobSeq !== undefined ? { jobSeq: extra.jobSeq } : {}) };
  const status: DeploymentCrStatus = {
    state,
    ...(job && state !== 'CANCELLED' && state !== 'SUSPENDED'
      ? { running: { jobId: job.id, transitionTime: changed ? now : (prev.running?.transitionTime ?? now) } }
      : {}),
    ...(extra.failure ? { failure: extra.failure } : {}),
    sluice,
  };
  if (!job) delete status.sluice!.job;
  return status;
}

function write(d: DeploymentResource, status: DeploymentCrStatus): Action[] {
  return sameStatus(d.status, status) ? [] : [{ type: 'writeStatus', status }];
}

/** `failure` as the Deployment's, keeping the one recorded when it says the same (no rewrite, same failedAt). */
function failed(d: DeploymentResource, now: string, failure: { reason: string; message: string }): Action[] {
  const prev = d.status?.failure;
  const same = d.status?.state === 'FAILED' && prev?.reason === failure.reason && prev.message === failure.message;
  return write(d, statusWith(d, 'FAILED', now, { failure: same ? prev : { ...failure, failedAt: now } }));
}

export function planDeployment(
  d: DeploymentResource,
  job: JobResource | undefined,
  now: string,
  savepoints: readonly SavepointResource[] = [],
): Plan {
  const plan = planSteps(d, job, now, savepoints);
  // The finalizer is there before a job can have objects: before one is created, or for a
  // live job of a Deployment that predates the finalizer.
  const needsFinalizer = plan.actions.some((a) => a.type === 'createJob') || (job !== undefined && !resourcesDeleted(job));
  if (needsFinalizer && !hasFinalizer(d)) return { ...plan, actions: [{ type: 'addFinalizer' }, ...plan.actions] };
  return plan;
}

/**
 * The Deployment's patch set is not applied to its generation yet: nothing to plan until
 * applyPatchSet records it (that write brings the step back). Decided from the Deployment
 * alone, so a step need not read its job or savepoints to find it.
 */
export function awaitsPatchSet(d: DeploymentResource): boolean {
  const effective = d.status?.sluice?.effective;
  return !effective || effective.generation !== d.metadata.generation;
}

/**
 * Whether a plan made from an event's copy of the Deployment may be carried out as it is:
 * when its first action writes the Deployment under the copy's resourceVersion. A stale copy
 * then fails that write (409) before anything else is done, and a write that succeeds proves
 * the copy current, as a fresh read would. A plan that starts otherwise (deleting or creating
 * a job's objects, a savepoint) does something no version guards: planned from a stale copy
 * it could stop or start a job the current Deployment does not want, so it is planned again
 * from a fresh read.
 */
export function validatesCopy(plan: Plan): boolean {
  const first = plan.actions[0]?.type;
  return first === 'writeStatus' || first === 'addFinalizer' || first === 'removeFinalizer';
}

function planSteps(d: DeploymentResource, job: JobResource | undefined, now: string, savepoints: readonly SavepointResource[]): Plan {
  if (awaitsPatchSet(d)) return { actions: [], reason: 'waiting for the patch set to be applied to this generation' };
  const effective = d.status!.sluice!.effective!;
  if (effective.error || !effective.spec) {
    const failure = { reason: 'DeploymentPatchSetFailed', message: effective.error ?? 'no effective spec', failedAt: now };
    const status = statusWith(d, 'FAILED', now, {
      failure: d.status?.failure?.reason === failure.reason && d.status.failure.message === failure.message ? d.status.failure : failure,
    });
    // A cancel needs no effective spec: the job stops even while the patch set fails.
    const stop = d.spec.spec.state === 'CANCELLED' ? release(job) : [];
    return { actions: [...stop, ...write(d, status)], reason: effective.error ?? 'no effective spec' };
  }

  // Savepoints that stop the current job (SUSPEND, SUSPEND_AND_UPGRADE), of any generation.
  const jobState = job?.status?.state;
  // Only those Sluice took (they carry their purpose): an imported one never stops a job.
  const stops = job
    ? savepoints.filter(
        (s) =>
          s.metadata.annotations?.[PURPOSE_ANNOTATION] &&
          s.spec.spec.jobId === job.spec.metadata.id &&
          STOP_ORIGINS.includes(s.spec.spec.savepointOrigin),
      )
    : [];
  const inflight = stops.find((s) => (s.status?.state ?? 'STARTED') === 'STARTED');
  const stoppedBy = stops.find((s) => s.status?.state === 'COMPLETED');

  // One under way is seen through before anything else (VVP: a change that arrives during a
  // transition is acted on once it is done).
  if (job && inflight) {
    const request = savepointRequestFor(d, job, purposeOf(inflight), inflight.spec.spec.savepointLocation)!;
    const live = jobState === 'STARTING' || jobState === 'STARTED';
    return {
      actions: [
        ...(live ? [{ type: 'markJobTerminating', job } as const] : []),
        ...write(d, statusWith(d, 'TRANSITIONING', now)),
        { type: 'takeSavepoint', savepoint: inflight, job, request },
      ],
      reason: `savepoint ${inflight.spec.metadata.id} (${inflight.spec.spec.savepointOrigin}) in progress`,
    };
  }
  // Savepoints users asked for (USER_REQUEST), oldest first: taken one at a time while the
  // job runs; one whose job no longer runs (or never will) fails.
  const requested = savepoints
    .filter(
      (s) =>
        s.metadata.annotations?.[PURPOSE_ANNOTATION] &&
        s.spec.spec.savepointOrigin === 'USER_REQUEST' &&
        (s.status?.state ?? 'STARTED') === 'STARTED',
    )
    .sort((a, b) => createdAtOf(a) - createdAtOf(b));
  const ofRunningJob = (s: SavepointResource) =>
    !!job && s.spec.spec.jobId === job.spec.metadata.id && !stoppedBy && (jobState === 'STARTED' || jobState === 'STARTING');
  const takeable = requested.find((s) => ofRunningJob(s) && jobState === 'STARTED');
  if (job && takeable) {
    const request = { ...savepointRequestFor(d, job, purposeOf(takeable), takeable.spec.spec.savepointLocation)!, stopsJob: false };
    return {
      actions: [{ type: 'takeSavepoint', savepoint: takeable, job, request }],
      reason: `taking savepoint ${takeable.spec.metadata.id} (USER_REQUEST)`,
    };
  }
  const orphaned: Action[] = requested
    .filter((s) => !ofRunningJob(s))
    .map((savepoint) => ({
      type: 'failSavepoint',
      savepoint,
      failure: {
        reason: 'JobNotRunning',
        message: `job ${savepoint.spec.spec.jobId ?? '(none)'} stopped before the savepoint could be taken`,
      },
    }));
  if (orphaned.length > 0) {
    const rest = planDeployment(
      d,
      job,
      now,
      savepoints.filter((s) => !orphaned.some((a) => a.type === 'failSavepoint' && a.savepoint === s)),
    );
    return {
      actions: [...orphaned, ...rest.actions],
      reason: `${orphaned.length} requested savepoint(s) failed: the job stopped; ${rest.reason}`,
    };
  }

  // Stopped with a savepoint: the job no longer runs in Flink, whatever its pods still show.
  if (job && stoppedBy && jobState && !TERMINAL.includes(jobState)) {
    const rest = decide(d, { ...job, status: { ...job.status, state: 'TERMINATED' } }, now, savepoints);
    return {
      actions: [{ type: 'terminateJob', job }, ...rest.actions],
      reason: `job stopped with savepoint ${stoppedBy.spec.metadata.id}; ${rest.reason}`,
    };
  }
  // Being stopped, but no savepoint is under way or completed: the one meant to stop it failed.
  if (job && jobState === 'TERMINATING') {
    return { actions: [{ type: 'resumeJob', job }], reason: 'the savepoint to stop the job failed: it keeps running' };
  }
  return decide(d, job, now, savepoints);
}

/** The decisions once no savepoint is under way. */
function decide(d: DeploymentResource, job: JobResource | undefined, now: string, savepoints: readonly SavepointResource[]): Plan {
  const effective = d.status!.sluice!.effective!;
  const spec = effective.spec!;
  const desired = spec.state;
  const current = d.status?.sluice?.job;
  const jobState = job?.status?.state;
  const hash = templateHash(d);
  const seq = d.status?.sluice?.jobSeq ?? 0;
  const maxAttempts = spec.maxJobCreationAttempts ?? DEFAULT_MAX_JOB_CREATION_ATTEMPTS;

  const start = (next: CurrentJob, reason: string, before: Action[] = []): Plan => {
    const status = statusWith(d, 'TRANSITIONING', now, { job: next, jobSeq: Math.max(seq, next.seq) });
    return {
      actions: [...before, { type: 'writeStatus', status }, { type: 'createJob', job: jobFor({ ...d, status }, next, now) }],
      reason,
    };
  };
  const fresh = (): CurrentJob => {
    const restore = restoreFor(d, savepoints);
    return {
      id: jobIdFor(d.metadata.uid ?? d.spec.metadata.id, seq + 1, 1),
      seq: seq + 1,
      attempt: 1,
      specHash: hash,
      ...(restore ? { restore } : {}),
    };
  };

  /**
   * Stops the running job with a savepoint for `origin`: one per job and purpose (origin and
   * the generation that asked for it). A failed one leaves the job running and the Deployment
   * FAILED until the Deployment changes again.
   */
  const stopWithSavepoint = (live: JobResource, origin: SavepointOrigin, what: string): Plan => {
    const purpose = `${origin}@${d.metadata.generation ?? 0}`;
    const id = savepointIdFor(live.spec.metadata.id, purpose);
    const earlier = savepoints.find((s) => s.spec.metadata.id === id);
    if (earlier?.status?.state === 'FAILED') {
      const f = earlier.status.failure;
      return {
        actions: failed(d, now, {
          reason: 'SavepointFailed',
          message: `savepoint ${id} (${origin}) of job ${live.spec.metadata.id} failed${f ? `: ${f.message}` : ''}; the job keeps running`,
        }),
        reason: `savepoint to ${what} failed`,
      };
    }
    const request = savepointRequestFor(d, live, purpose);
    if (!request) {
      return {
        actions: failed(d, now, {
          reason: 'SavepointDirectoryMissing',
          message: `cannot ${what}: taking a savepoint needs a directory, and none is configured: set spec.template.spec.flinkConfiguration."state.savepoints.dir" (e.g. s3://bucket/savepoints), or give Sluice a blob storage (SLUICE_BLOB_STORAGE_URI); job ${live.spec.metadata.id} keeps running`,
        }),
        reason: 'no savepoint directory',
      };
    }
    const savepoint = stopSavepointFor(d, live, origin, purpose, request.targetDirectory, now);
    return {
      actions: [
        { type: 'createSavepoint', savepoint },
        { type: 'markJobTerminating', job: live },
        ...write(d, statusWith(d, 'TRANSITIONING', now)),
        { type: 'takeSavepoint', savepoint, job: live, request },
      ],
      reason: `taking savepoint ${id} to ${what}`,
    };
  };

  // A Job recorded in status but not yet created (a step died in between): create it now.
  if (current && !job && desired === 'RUNNING') {
    return { actions: [{ type: 'createJob', job: jobFor(d, current, now) }], reason: 'creating the recorded job' };
  }

  if (desired === 'RUNNING') {
    // Cancelled inside Flink (its web UI or REST API): CANCELLED, as VVP shows it, until the Deployment changes.
    if (current && job && cancelledInFlink(job.status) && current.specHash === hash) {
      const at = current.endedAtGeneration ?? d.metadata.generation ?? 0;
      if (at === (d.metadata.generation ?? 0)) {
        const status = statusWith(d, 'CANCELLED', now, { job: { ...current, endedAtGeneration: at } });
        return { actions: [...release(job), ...write(d, status)], reason: 'job cancelled in Flink' };
      }
      return start(fresh(), 'the deployment changed after its job was cancelled in Flink: starting anew', release(job));
    }
    if (!current || !job || jobState === 'TERMINATED') return start(fresh(), 'starting a new job');
    if (jobState === undefined) return { actions: [{ type: 'ensureJobResources', job }], reason: "creating the job's Kubernetes objects" };
    if (jobState === 'FINISHED') return { actions: [...release(job), ...write(d, statusWith(d, 'FINISHED', now))], reason: 'job finished' };
    if (jobState === 'FAILED' && current.specHash !== hash)
      return start(fresh(), 'template changed after a failure: starting anew', release(job));
    if (jobState === 'FAILED') {
      if (current.attempt < maxAttempts && !failedInFlink(job)) {
        const retry = {
          ...current,
          id: jobIdFor(d.metadata.uid ?? d.spec.metadata.id, current.seq, current.attempt + 1),
          attempt: current.attempt + 1,
        };
        return start(retry, `job failed; attempt ${retry.attempt} of ${maxAttempts}`, [{ type: 'terminateJob', job }]);
      }
      const f = job.status?.failure;
      const failure = (d.status?.state === 'FAILED' && d.status.failure) || {
        reason: 'JobFailed',
        message: failedInFlink(job)
          ? `job ${job.spec.metadata.id} failed in Flink (its restart strategy gave up)${f ? `: ${f.message}` : ''}`
          : `job ${job.spec.metadata.id} failed after ${current.attempt} attempt(s)${f ? `: ${f.reason}: ${f.message}` : ''}`,
        failedAt: now,
      };
      // The failed job's cluster goes (its TaskManagers would run on, on the tenant's quota).
      return { actions: [...release(job), ...write(d, statusWith(d, 'FAILED', now, { failure }))], reason: 'job failed; no attempts left' };
    }
    if (current.specHash !== hash) {
      const kind = spec.upgradeStrategy?.kind ?? 'STATELESS';
      if (kind === 'NONE') {
        return {
          actions: write(d, statusWith(d, flinkRunning(job) ? 'RUNNING' : 'TRANSITIONING', now)),
          reason: 'upgrade strategy NONE: change applies at the next start',
        };
      }
      // STATEFUL saves the running job's state first; a job not started yet has none beyond
      // what it was restored from, which stays the latest.
      if (kind === 'STATEFUL' && jobState === 'STARTED') return stopWithSavepoint(job, 'SUSPEND_AND_UPGRADE', 'upgrade statefully');
      return start(
        fresh(),
        `template changed: ${kind.toLowerCase()} upgrade`,
        ACTIVE.includes(jobState) ? [{ type: 'terminateJob', job }] : [],
      );
    }
    // RESTARTING, FAILING, CANCELLING in Flink: the job is not running, whatever its pods show.
    const state: DeploymentState = flinkRunning(job) ? 'RUNNING' : 'TRANSITIONING';
    const flinkSays = job.status?.started?.observedFlinkJobStatus;
    return { actions: write(d, statusWith(d, state, now)), reason: `job ${jobState}${flinkSays ? ` (Flink: ${flinkSays})` : ''}` };
  }

  // SUSPENDED takes a savepoint of a running job first; CANCELLED (and a job that has not
  // started, or was only half created: no state of its own yet) just stops it; a job that
  // ended has what is left of it deleted; then the desired state is reported.
  if (desired === 'SUSPENDED' && job && jobState === 'STARTED') return stopWithSavepoint(job, 'SUSPEND', 'suspend');
  if (job && !resourcesDeleted(job)) {
    return {
      actions: [{ type: 'terminateJob', job }, ...write(d, statusWith(d, desired, now, { job: undefined }))],
      reason: `stopping job for ${desired}`,
    };
  }
  return { actions: write(d, statusWith(d, desired, now, { job: undefined })), reason: `deployment ${desired}` };
}
