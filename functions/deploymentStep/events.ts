import type { DeploymentCrStatus, DeploymentResource, SavepointResource } from '../../shared/model/index.js';
import type { EventDraft, EventName } from '../../shared/vvp/event-log.js';
import { uuidV5 } from '../../shared/vvp/ids.js';
import type { Action } from './logic.js';

/** A Deployment's failure reason → VVP's event name for the transition to FAILED. */
const FAILURE_EVENTS: Record<string, EventName> = {
  JobFailed: 'TOO_MANY_FAILED_JOB_CREATION_ATTEMPTS',
  SavepointFailed: 'TRANSITIONING_TO_FAILED_STATE_BECAUSE_SAVEPOINT_FAILED_IN_FLINK',
  SavepointDirectoryMissing: 'JOB_IS_NOT_CONFIGURED_WITH_SAVEPOINT_SUPPORT',
};

function statusEvents(d: DeploymentResource, next: DeploymentCrStatus): EventDraft[] {
  const before = d.status?.state;
  const after = next.state;
  if (!after || before === after) return [];
  const from = before ? `from ${before} ` : '';
  const desired = d.status?.sluice?.effective?.spec?.state ?? d.spec.spec.state;
  const jobId = next.sluice?.job?.id ?? next.running?.jobId;
  const job = jobId ? { jobId } : {};
  switch (after) {
    case 'TRANSITIONING':
      return [{ name: 'STATE_TRANSITION_IS_NEEDED', message: `Transitioning ${from}towards the desired state ${desired}`, ...job }];
    case 'RUNNING':
      return [
        { name: 'JOB_SUCCESSFULLY_STARTED', message: `Job${jobId ? ` ${jobId}` : ''} started`, ...job },
        { name: 'STATE_TRANSITION_IS_COMPLETED', message: `Transitioned ${from}to RUNNING`, ...job },
      ];
    case 'FINISHED':
      return [
        { name: 'JOB_SUCCESSFULLY_FINISHED', message: `Job${jobId ? ` ${jobId}` : ''} finished`, ...job },
        { name: 'TRANSITIONED_TO_FINISHED_STATE', message: `Transitioned ${from}to FINISHED`, ...job },
      ];
    case 'FAILED': {
      const f = next.failure;
      const name = (f?.reason && FAILURE_EVENTS[f.reason]) || 'GENERAL_FAILURE';
      return [
        {
          name,
          message: `Transitioned ${from}to FAILED${f ? `: ${f.reason ? `${f.reason}: ` : ''}${f.message ?? ''}` : ''}`,
          warning: true,
          ...job,
        },
      ];
    }
    default:
      return [{ name: 'STATE_TRANSITION_IS_COMPLETED', message: `Transitioned ${from}to ${after}` }];
  }
}

/**
 * The events one action of a deployment step stands for, decided from the Deployment as it
 * was before the action. Actions that only continue what an earlier one started (following
 * a savepoint, creating a job's objects) record nothing: their outcome does.
 */
export function eventsOfAction(d: DeploymentResource, action: Action): EventDraft[] {
  switch (action.type) {
    case 'writeStatus':
      return statusEvents(d, action.status);
    case 'createJob': {
      const { job } = action;
      const s = job.spec.spec;
      const max = d.status?.sluice?.effective?.spec?.maxJobCreationAttempts ?? d.spec.spec.maxJobCreationAttempts ?? 4;
      const restore = s.restore ? `, restoring from ${s.restore.location}` : '';
      return [
        {
          name: 'CREATING_A_NEW_JOB',
          message: `Creating job ${job.spec.metadata.id} (attempt ${s.attempt} of ${max})${restore}`,
          jobId: job.spec.metadata.id,
        },
      ];
    }
    case 'terminateJob': {
      const { job } = action;
      const id = job.spec.metadata.id;
      const st = job.status;
      if (st?.state === 'FAILED') {
        const why = st.failure ? `: ${st.failure.reason}: ${st.failure.message}` : '';
        return [
          {
            name: 'TERMINATING_A_JOB_DUE_TO_AN_UNRECOVERABLE_FAILURE',
            message: `Job ${id} failed${why}; deleting its resources`,
            jobId: id,
            warning: true,
          },
        ];
      }
      if (st?.state === 'FINISHED') return [];
      return [{ name: 'FOUND_A_JOB_TO_TERMINATE', message: `Terminating job ${id}`, jobId: id }];
    }
    case 'createSavepoint': {
      const sp = action.savepoint;
      const { jobId, savepointOrigin, savepointLocation } = sp.spec.spec;
      const id = sp.spec.metadata.id;
      const job = jobId ? { jobId } : {};
      if (savepointOrigin === 'SUSPEND_AND_UPGRADE') {
        return [
          {
            name: 'USING_AN_UPGRADE_STRATEGY',
            message: `Upgrading with strategy STATEFUL: taking savepoint ${id} of job ${jobId ?? ''} into ${savepointLocation}`,
            ...job,
          },
        ];
      }
      return [
        {
          name: 'CREATING_A_SAVEPOINT_BEFORE_SUSPENSION',
          message: `Suspending: taking savepoint ${id} of job ${jobId ?? ''} into ${savepointLocation}`,
          ...job,
        },
      ];
    }
    case 'failSavepoint': {
      return [savepointFailed(action.savepoint, action.failure)];
    }
    default:
      return [];
  }
}

const savepointFailed = (sp: SavepointResource, failure: { reason: string; message: string }): EventDraft => ({
  name: 'AN_UNRECOVERABLE_FAILURE_WHILE_TAKING_A_SAVEPOINT',
  message: `Savepoint ${sp.spec.metadata.id} (${sp.spec.spec.savepointOrigin}) failed: ${failure.reason}: ${failure.message}`,
  warning: true,
  ...(sp.spec.spec.jobId ? { jobId: sp.spec.spec.jobId } : {}),
});

/** What happened to a savepoint while it was being taken, as an event. */
export type SavepointProgress =
  | { kind: 'triggered'; attempt: number; triggerId: string }
  | { kind: 'retry'; attempt: number; maxAttempts: number; failure: { reason: string; message: string } }
  | { kind: 'failed'; failure: { reason: string; message: string } }
  | { kind: 'completed'; location: string };

export function savepointEvent(sp: SavepointResource, progress: SavepointProgress): EventDraft {
  const id = sp.spec.metadata.id;
  const { jobId, savepointOrigin: origin } = sp.spec.spec;
  const job = jobId ? { jobId } : {};
  switch (progress.kind) {
    case 'triggered':
      return {
        name: 'SUCCESSFULLY_TRIGGERED_A_SAVEPOINT',
        message: `Triggered savepoint ${id} (${origin}) of job ${jobId ?? ''}, attempt ${progress.attempt}`,
        ...job,
      };
    case 'retry':
      return {
        name: 'RECOVERABLE_FAILURE_WHILE_TRIGGERING_A_SAVEPOINT',
        message: `Savepoint ${id} attempt ${progress.attempt} of ${progress.maxAttempts} failed: ${progress.failure.reason}: ${progress.failure.message}; trying again`,
        warning: true,
        ...job,
      };
    case 'failed':
      return savepointFailed(sp, progress.failure);
    case 'completed':
      return {
        name: origin === 'SUSPEND' ? 'FOUND_A_COMPLETED_SAVEPOINT_READY_FOR_SUSPENSION' : 'TRANSITIONED_TO_COMPLETED',
        message: `Savepoint ${id} (${origin}) completed: ${progress.location}`,
        ...job,
      };
  }
}

/** UUID namespace of event ids. */
const EVENT_NS = '3d4c2b1a-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

/**
 * An event's id follows from the Deployment, what it says and when it was decided (by default
 * the Deployment's version it was decided on), so a step that runs again on the same version
 * (a redelivered event) records it once.
 */
export const eventIdFor = (d: DeploymentResource, draft: EventDraft, when = d.metadata.resourceVersion ?? '') =>
  uuidV5(`event/${d.metadata.uid ?? d.spec.metadata.id}/${when}/${draft.name}/${draft.jobId ?? ''}`, EVENT_NS);
