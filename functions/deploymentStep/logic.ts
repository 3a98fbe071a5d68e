import type {
  CurrentJob,
  DeploymentResource,
  DeploymentState,
  DeploymentStatusLike,
  JobResource,
  JobState,
} from '../../shared/vvp/crs.js';
import { LABELS } from '../../shared/model/naming.js';
import { FLINK_DEPLOYMENTS, FLINK_JOBS } from '../../shared/resources.js';
import { jobIdFor, stableHash } from '../../shared/vvp/ids.js';

/**
 * The decisions of one deployment step, given what is observed: the Deployment (with the
 * effective spec applyPatchSet recorded) and its current Job. Pure; the shell carries out
 * the actions in order and stops at the first conflict.
 */
export type Action =
  | { type: 'terminateJob'; job: JobResource }
  | { type: 'writeStatus'; status: DeploymentStatusLike }
  | { type: 'createJob'; job: JobResource }
  | { type: 'ensureJobResources'; job: JobResource };

export interface Plan {
  actions: Action[];
  reason: string;
}

export const DEFAULT_MAX_JOB_CREATION_ATTEMPTS = 4;
const TERMINAL: readonly JobState[] = ['TERMINATED', 'FAILED', 'FINISHED'];
const ACTIVE: readonly JobState[] = ['STARTING', 'STARTED'];

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
      ...(d.metadata.uid ? { ownerReferences: [{ apiVersion: FLINK_DEPLOYMENTS.apiVersion, kind: FLINK_DEPLOYMENTS.kind, name: d.metadata.name, uid: d.metadata.uid }] } : {}),
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
        template: structuredClone(spec.template),
      },
    },
  };
}

function sameStatus(a: DeploymentStatusLike | undefined, b: DeploymentStatusLike): boolean {
  return stableHash(a ?? {}) === stableHash(b);
}

/** The next status: the state given, keeping transitionTime unless the state changes. */
function statusWith(
  d: DeploymentResource,
  state: DeploymentState,
  now: string,
  extra: { job?: CurrentJob; jobSeq?: number; failure?: DeploymentStatusLike['failure'] } = {},
): DeploymentStatusLike {
  const prev = d.status ?? {};
  const job = 'job' in extra ? extra.job : prev.sluice?.job;
  const changed = prev.state !== state || prev.running?.jobId !== job?.id;
  const sluice = { ...prev.sluice, ...(job ? { job } : {}), ...(extra.jobSeq !== undefined ? { jobSeq: extra.jobSeq } : {}) };
  const status: DeploymentStatusLike = {
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

function write(d: DeploymentResource, status: DeploymentStatusLike): Action[] {
  return sameStatus(d.status, status) ? [] : [{ type: 'writeStatus', status }];
}

export function planDeployment(d: DeploymentResource, job: JobResource | undefined, now: string): Plan {
  const effective = d.status?.sluice?.effective;
  if (!effective || effective.generation !== d.metadata.generation) {
    return { actions: [], reason: 'waiting for the patch set to be applied to this generation' };
  }
  if (effective.error || !effective.spec) {
    const failure = { reason: 'DeploymentPatchSetFailed', message: effective.error ?? 'no effective spec', failedAt: now };
    const status = statusWith(d, 'FAILED', now, { failure: d.status?.failure?.reason === failure.reason && d.status.failure.message === failure.message ? d.status.failure : failure });
    return { actions: write(d, status), reason: effective.error ?? 'no effective spec' };
  }

  const desired = effective.spec.state;
  const current = d.status?.sluice?.job;
  const jobState = job?.status?.state;
  const hash = templateHash(d);
  const seq = d.status?.sluice?.jobSeq ?? 0;
  const maxAttempts = effective.spec.maxJobCreationAttempts ?? DEFAULT_MAX_JOB_CREATION_ATTEMPTS;

  const start = (next: CurrentJob, reason: string, before: Action[] = []): Plan => {
    const status = statusWith(d, 'TRANSITIONING', now, { job: next, jobSeq: Math.max(seq, next.seq) });
    return { actions: [...before, { type: 'writeStatus', status }, { type: 'createJob', job: jobFor({ ...d, status }, next, now) }], reason };
  };
  const fresh = (): CurrentJob => ({ id: jobIdFor(d.metadata.uid ?? d.spec.metadata.id, seq + 1, 1), seq: seq + 1, attempt: 1, specHash: hash });

  // A Job recorded in status but not yet created (a step died in between): create it now.
  if (current && !job && desired === 'RUNNING') {
    return { actions: [{ type: 'createJob', job: jobFor(d, current, now) }], reason: 'creating the recorded job' };
  }

  if (desired === 'RUNNING') {
    if (!current || !job || jobState === 'TERMINATED') return start(fresh(), 'starting a new job');
    if (jobState === undefined) return { actions: [{ type: 'ensureJobResources', job }], reason: 'creating the job\'s Kubernetes objects' };
    if (jobState === 'FINISHED') return { actions: write(d, statusWith(d, 'FINISHED', now)), reason: 'job finished' };
    if (jobState === 'FAILED' && current.specHash !== hash) return start(fresh(), 'template changed after a failure: starting anew');
    if (jobState === 'FAILED') {
      if (current.attempt < maxAttempts) {
        const retry = { ...current, id: jobIdFor(d.metadata.uid ?? d.spec.metadata.id, current.seq, current.attempt + 1), attempt: current.attempt + 1 };
        return start(retry, `job failed; attempt ${retry.attempt} of ${maxAttempts}`, [{ type: 'terminateJob', job }]);
      }
      const f = job.status?.failure;
      const failure = (d.status?.state === 'FAILED' && d.status.failure) || {
        reason: 'JobFailed',
        message: `job ${job.spec.metadata.id} failed after ${current.attempt} attempt(s)${f ? `: ${f.reason}: ${f.message}` : ''}`,
        failedAt: now,
      };
      return { actions: write(d, statusWith(d, 'FAILED', now, { failure })), reason: 'job failed; no attempts left' };
    }
    if (current.specHash !== hash) {
      const kind = effective.spec.upgradeStrategy?.kind ?? 'STATELESS';
      if (kind === 'NONE') {
        return { actions: write(d, statusWith(d, jobState === 'STARTED' ? 'RUNNING' : 'TRANSITIONING', now)), reason: 'upgrade strategy NONE: change applies at the next start' };
      }
      return start(fresh(), `template changed: ${kind.toLowerCase()} upgrade`, ACTIVE.includes(jobState) ? [{ type: 'terminateJob', job }] : []);
    }
    const state: DeploymentState = jobState === 'STARTED' ? 'RUNNING' : 'TRANSITIONING';
    return { actions: write(d, statusWith(d, state, now)), reason: `job ${jobState}` };
  }

  // SUSPENDED or CANCELLED: stop whatever runs, then report the desired state.
  if (job && jobState && !TERMINAL.includes(jobState)) {
    return {
      actions: [{ type: 'terminateJob', job }, ...write(d, statusWith(d, desired, now, { job: undefined }))],
      reason: `stopping job for ${desired}`,
    };
  }
  return { actions: write(d, statusWith(d, desired, now, { job: undefined })), reason: `deployment ${desired}` };
}
