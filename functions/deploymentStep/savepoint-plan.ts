/**
 * The savepoint state machine: how a savepoint Sluice takes is named, requested and followed
 * attempt by attempt, given what Flink says. Pure; take-savepoint.ts carries it out.
 */
import type { DeploymentResource, JobResource, SavepointResource } from '../../shared/model/index.js';
import { DEFAULT_CHECKPOINT_TIMEOUT_MS, flinkAtLeast, parseFlinkDuration } from '../../shared/vvp/flink-config.js';
import { uuidV5 } from '../../shared/vvp/ids.js';
import { savepointDirectoryOf } from '../../shared/vvp/savepoint-directory.js';

/** VVP's default for maxSavepointCreationAttempts. */
export const DEFAULT_MAX_SAVEPOINT_CREATION_ATTEMPTS = 4;

/** How to take one savepoint: one that stops a job, or one a user asked for, which leaves it running. */
export interface SavepointRequest {
  stopsJob: boolean;
  /** What it is for, e.g. `SUSPEND@7` (origin @ deployment generation); with the job, it names the savepoint. */
  purpose: string;
  targetDirectory: string;
  maxAttempts: number;
  /** After this long without an answer an attempt has failed (ms). */
  attemptTimeoutMs: number;
  /** The JobManager accepts an idempotency `triggerId` (Flink ≥ 1.15). */
  idempotentTrigger: boolean;
}

/** UUID namespace of the savepoint ids Sluice derives. */
const SAVEPOINT_NS = '0f5b0a9e-8d0c-4c1e-b3f4-6a8f3a2d9c71';

/**
 * A savepoint's id follows from the job and its purpose, so that a redelivered or concurrently
 * handled event names the same Savepoint and the API server refuses a second one.
 */
export const savepointIdFor = (jobId: string, purpose: string) => uuidV5(`savepoint/${jobId}/${purpose}`, SAVEPOINT_NS);

/** The idempotency trigger id (32 hex, as Flink's TriggerId) of one attempt of a savepoint. */
export const flinkTriggerIdFor = (savepointId: string, attempt: number) =>
  uuidV5(`trigger/${savepointId}/${attempt}`, SAVEPOINT_NS).replace(/-/g, '');

/**
 * How long one savepoint attempt may take: Flink aborts a savepoint after its checkpoint
 * timeout; Sluice gives up on an attempt when Flink has not answered within twice that
 * (at most 30 s more).
 */
export function attemptTimeoutMs(config: Record<string, string> | undefined): number {
  const t = parseFlinkDuration(config?.['execution.checkpointing.timeout']) ?? DEFAULT_CHECKPOINT_TIMEOUT_MS;
  return t + Math.min(t, 30_000);
}

/** The request for a savepoint of `job`: directory from the effective spec (else the job's), limits from the effective spec. */
export function savepointRequestFor(
  d: DeploymentResource,
  job: JobResource,
  purpose: string,
  targetDirectory?: string,
): SavepointRequest | undefined {
  const spec = d.status?.sluice?.effective?.spec ?? d.spec.spec;
  const config = { ...job.spec.spec.template.spec.flinkConfiguration, ...spec.template.spec.flinkConfiguration };
  const dir =
    targetDirectory ??
    savepointDirectoryOf(spec.template.spec.flinkConfiguration) ??
    savepointDirectoryOf(job.spec.spec.template.spec.flinkConfiguration);
  if (!dir) return undefined;
  return {
    stopsJob: true,
    purpose,
    targetDirectory: dir,
    maxAttempts: spec.maxSavepointCreationAttempts ?? DEFAULT_MAX_SAVEPOINT_CREATION_ATTEMPTS,
    attemptTimeoutMs: attemptTimeoutMs(config),
    idempotentTrigger: flinkAtLeast(job.spec.spec.template.spec.artifact.flinkVersion, 1, 15),
  };
}

export type TriggerObservation =
  /** Nothing was triggered for the current attempt yet. */
  | { kind: 'none' }
  | { kind: 'in-progress' }
  | { kind: 'completed'; location: string }
  | { kind: 'failed'; reason: string; message: string }
  /** The JobManager did not answer about a triggered savepoint. */
  | { kind: 'unreachable'; message: string };

export type SavepointStep =
  | { do: 'trigger'; attempt: number }
  | { do: 'wait'; reason: string }
  | { do: 'complete'; location: string }
  /** Record the attempt's failure; the next attempt is `attempt`. */
  | { do: 'retry'; attempt: number; failure: { reason: string; message: string } }
  | { do: 'fail'; failure: { reason: string; message: string } };

/**
 * The next move of a savepoint Sluice is taking, given what Flink said about the current
 * attempt. Pure. Attempts fail on Flink's failure, an unknown trigger, a failed trigger
 * request, or no result within the attempt timeout; after maxAttempts the savepoint fails.
 */
export function savepointProgress(sp: SavepointResource, obs: TriggerObservation, now: string, request: SavepointRequest): SavepointStep {
  const book = sp.status?.sluice ?? {};
  const attempt = book.attempt ?? 1;
  const trigger = book.trigger?.attempt === attempt ? book.trigger : undefined;
  const next = (failure: { reason: string; message: string }): SavepointStep =>
    attempt < request.maxAttempts
      ? { do: 'retry', attempt: attempt + 1, failure }
      : { do: 'fail', failure: { reason: failure.reason, message: `failed after ${attempt} attempt(s); the last: ${failure.message}` } };
  switch (obs.kind) {
    case 'none':
      return { do: 'trigger', attempt };
    case 'completed':
      return { do: 'complete', location: obs.location };
    case 'failed':
      return next({ reason: obs.reason, message: obs.message });
    case 'in-progress':
    case 'unreachable': {
      const elapsed = trigger ? Date.parse(now) - Date.parse(trigger.at) : 0;
      if (elapsed > request.attemptTimeoutMs) {
        const why = obs.kind === 'unreachable' ? ` (the JobManager did not answer: ${obs.message})` : '';
        return next({
          reason: 'SavepointTimeout',
          message: `attempt ${attempt} did not complete within ${request.attemptTimeoutMs} ms${why}`,
        });
      }
      return { do: 'wait', reason: obs.kind === 'unreachable' ? obs.message : `attempt ${attempt} in progress` };
    }
  }
}
