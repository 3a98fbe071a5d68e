import { isConflict, isNotFound } from '../../shared/kube/client.js';
import type { FunctionContext } from '../../shared/runtime/define.js';
import { Unavailable } from '../../shared/runtime/errors.js';
import type { DeploymentResource, SavepointBookkeeping, SavepointCrStatus, SavepointResource } from '../../shared/model/index.js';
import type { EventDraft } from '../../shared/vvp/event-log.js';
import { flinkJobId } from '../../shared/vvp/flink-resources.js';
import { type FlinkEndpointResolver, FlinkRestClient, FlinkRestError, FlinkUnreachable } from '../../shared/vvp/flink-rest.js';
import { type SavepointProgress, savepointEvent } from './events.js';
import type { Action } from './logic.js';
import { type TriggerObservation, flinkTriggerIdFor, savepointProgress } from './savepoint-plan.js';

/**
 * How long one step follows a savepoint before it answers 5xx ("in progress; retry") so that
 * the Broker (or the in-process DeliveryQueue) redelivers the event with backoff: a step
 * never holds its lock, or a function instance, for the whole length of a savepoint.
 */
export const SAVEPOINT_POLL_BUDGET_MS = 3_000;
const POLL_INTERVAL_MS = 200;
/** Trigger records in the coordination store outlive any savepoint (attempts × timeout). */
const TRIGGER_RECORD_TTL_MS = 7 * 24 * 3600_000;
/** A trigger claimed this long ago whose answer was never recorded: the step that claimed it died. */
const PENDING_STALE_MS = 30_000;

/** The idempotency record of one trigger attempt, keyed on (job, purpose, attempt). */
export const triggerKey = (jobId: string, purpose: string, attempt: number) => `savepoint/${jobId}/${purpose}/attempt-${attempt}`;
/** Where a completed savepoint's location is kept until the Savepoint records it. */
export const resultKey = (jobId: string, purpose: string) => `savepoint/${jobId}/${purpose}/location`;

export type TriggerRecord =
  | { state: 'pending'; at: string; triggerId?: string }
  | { state: 'triggered'; at: string; id: string }
  | { state: 'failed'; at: string; reason: string; message: string };

function parseRecord(value: string | null): TriggerRecord | undefined {
  if (!value) return undefined;
  try {
    return JSON.parse(value) as TriggerRecord;
  } catch {
    return undefined;
  }
}
/** What taking a savepoint needs from the step: where the JobManager is, and how its events are recorded. */
export interface SavepointShell {
  resolve: FlinkEndpointResolver;
  /** Records the Deployment's events once per `key`. */
  record: (drafts: readonly EventDraft[], key: string) => Promise<void>;
}

/**
 * Takes one savepoint that stops a job, as far as one step's budget goes: each attempt is
 * triggered at most once (an idempotency record claimed in the coordination store before
 * the request, holding Flink's trigger id after it, and copied onto the Savepoint), then
 * followed until Flink reports it, until it times out, or until the budget is used up
 * (Unavailable: redelivery resumes it). Returns true when the savepoint reached an end.
 */
export async function takeSavepoint(
  ctx: FunctionContext,
  d: DeploymentResource,
  action: Extract<Action, { type: 'takeSavepoint' }>,
  { resolve, record }: SavepointShell,
): Promise<boolean> {
  const { job, request } = action;
  /** One event per savepoint, attempt and outcome, however often a step follows it. */
  const note = (progress: SavepointProgress, attempt: number) =>
    record([savepointEvent(sp!, progress)], `savepoint/${sp!.spec.metadata.id}/${progress.kind}/${attempt}`);
  const savepoints = ctx.crs.savepoints;
  const jobId = job.spec.metadata.id;
  const fid = flinkJobId(jobId);
  let client: FlinkRestClient | undefined;
  // Short timeouts: a step stays well inside its lock's lifetime even when the JobManager does not answer.
  const flink = async () =>
    (client ??= new FlinkRestClient(await resolve({ namespace: job.spec.spec.targetNamespace, jobId }), { timeoutMs: 3_000, retries: 1 }));
  const stale = (err: unknown) =>
    new Unavailable(`savepoint ${action.savepoint.spec.metadata.id} changed meanwhile; retry`, { cause: err });

  let sp = await savepoints.get(action.savepoint.metadata.name);
  if (!sp) throw new Unavailable(`savepoint ${action.savepoint.spec.metadata.id} is not recorded yet; retry`);
  const writeStatus = async (status: SavepointCrStatus): Promise<SavepointResource> => {
    try {
      return await savepoints.replaceStatus({ ...sp!, status });
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) throw stale(err);
      throw err;
    }
  };
  const keep = (book: SavepointBookkeeping): SavepointCrStatus => ({
    ...sp!.status,
    state: sp!.status?.state ?? 'STARTED',
    sluice: book,
  });

  /** What Flink says about the current attempt; adopts a trigger a dead step recorded only in the store. */
  const observe = async (attempt: number): Promise<TriggerObservation> => {
    const location = await ctx.store.recall(resultKey(jobId, request.purpose));
    if (location) return { kind: 'completed', location };
    const book = sp!.status?.sluice ?? {};
    let trigger = book.trigger?.attempt === attempt ? book.trigger : undefined;
    if (!trigger) {
      const record = parseRecord(await ctx.store.recall(triggerKey(jobId, request.purpose, attempt)));
      if (!record) return { kind: 'none' };
      if (record.state === 'failed') return { kind: 'failed', reason: record.reason, message: record.message };
      if (record.state === 'pending') {
        if (Date.now() - Date.parse(record.at) < PENDING_STALE_MS) {
          throw new Unavailable(`another instance is triggering savepoint ${sp!.spec.metadata.id} (attempt ${attempt}); retry`);
        }
        // Its step died between asking Flink and recording the answer. With an idempotent
        // trigger id, asking again is safe; without one, whether Flink started it is unknown.
        if (record.triggerId) return { kind: 'none' };
        return {
          kind: 'failed',
          reason: 'TriggerInterrupted',
          message: `the step that triggered attempt ${attempt} stopped before it recorded Flink's answer`,
        };
      }
      trigger = { attempt, id: record.id, at: record.at };
      sp = await writeStatus(keep({ ...book, trigger }));
    }
    try {
      const status = await (await flink()).savepointStatus(fid, trigger.id);
      if (status.state === 'IN_PROGRESS') return { kind: 'in-progress' };
      if (status.state === 'COMPLETED') return { kind: 'completed', location: status.location };
      return { kind: 'failed', reason: 'SavepointFailed', message: status.message };
    } catch (err) {
      if (err instanceof FlinkRestError && err.status === 404) {
        return { kind: 'failed', reason: 'TriggerUnknown', message: `the JobManager does not know trigger ${trigger.id} (${err.message})` };
      }
      if (err instanceof FlinkUnreachable || err instanceof FlinkRestError) return { kind: 'unreachable', message: err.message };
      throw err;
    }
  };

  /** Claims the attempt, asks Flink to stop the job with a savepoint, records the trigger id. */
  const trigger = async (attempt: number): Promise<void> => {
    const key = triggerKey(jobId, request.purpose, attempt);
    const triggerId = request.idempotentTrigger ? flinkTriggerIdFor(sp!.spec.metadata.id, attempt) : undefined;
    const at = new Date().toISOString();
    const claimed = await ctx.store.claim(
      key,
      TRIGGER_RECORD_TTL_MS,
      JSON.stringify({ state: 'pending', at, ...(triggerId ? { triggerId } : {}) }),
    );
    if (!claimed) {
      const record = parseRecord(await ctx.store.recall(key));
      const resend = record?.state === 'pending' && record.triggerId && Date.now() - Date.parse(record.at) >= PENDING_STALE_MS;
      if (!resend) return; // another delivery's: observe() follows it
    }
    let id: string;
    try {
      const client = await flink();
      id = request.stopsJob
        ? await client.stopWithSavepoint(fid, request.targetDirectory, triggerId)
        : await client.triggerSavepoint(fid, request.targetDirectory, triggerId);
    } catch (err) {
      if (!(err instanceof FlinkUnreachable || err instanceof FlinkRestError)) throw err;
      const reason = err instanceof FlinkUnreachable ? 'JobManagerUnreachable' : 'TriggerRefused';
      await ctx.store.remember(key, TRIGGER_RECORD_TTL_MS, JSON.stringify({ state: 'failed', at, reason, message: err.message }));
      return;
    }
    await ctx.store.remember(key, TRIGGER_RECORD_TTL_MS, JSON.stringify({ state: 'triggered', at, id }));
    sp = await writeStatus(keep({ ...sp!.status?.sluice, attempt, trigger: { attempt, id, at } }));
    ctx.log.info({ savepoint: sp.spec.metadata.id, job: jobId, attempt, trigger: id }, 'savepoint triggered');
    await note({ kind: 'triggered', attempt, triggerId: id }, attempt);
  };

  const deadline = Date.now() + SAVEPOINT_POLL_BUDGET_MS;
  for (;;) {
    if (sp.status?.state === 'COMPLETED' || sp.status?.state === 'FAILED') return true;
    const attempt = sp.status?.sluice?.attempt ?? 1;
    const observation = await observe(attempt);
    // Read after observe(): it may have adopted a dead step's trigger onto the Savepoint.
    const book = sp.status?.sluice ?? {};
    const step = savepointProgress(sp, observation, new Date().toISOString(), request);
    const now = new Date().toISOString();
    switch (step.do) {
      case 'trigger': {
        const before = sp.metadata.resourceVersion;
        await trigger(attempt);
        // Nothing recorded (another delivery holds the claim): look again after a pause.
        if (sp.metadata.resourceVersion === before) await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
        break;
      }
      case 'wait':
        if (Date.now() >= deadline) {
          throw new Unavailable(
            `savepoint ${sp.spec.metadata.id} in progress (attempt ${attempt} of ${request.maxAttempts}: ${step.reason}); retry`,
          );
        }
        await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
        break;
      case 'retry': {
        const failures = [...(book.failures ?? []), { attempt, ...step.failure, at: now }];
        ctx.log.warn({ savepoint: sp.spec.metadata.id, job: jobId, attempt, reason: step.failure.message }, 'savepoint attempt failed');
        const { trigger: _done, ...rest } = book;
        sp = await writeStatus(keep({ ...rest, attempt: step.attempt, failures }));
        await note({ kind: 'retry', attempt, maxAttempts: request.maxAttempts, failure: step.failure }, attempt);
        break;
      }
      case 'fail': {
        const failures = [...(book.failures ?? []), { attempt, ...step.failure, at: now }];
        ctx.log.warn({ savepoint: sp.spec.metadata.id, job: jobId, reason: step.failure.message }, 'savepoint failed');
        sp = await writeStatus({ state: 'FAILED', failure: { ...step.failure, failedAt: now }, sluice: { ...book, failures } });
        await note({ kind: 'failed', failure: step.failure }, attempt);
        return true;
      }
      case 'complete': {
        // The location first into the store: a JobManager that stopped may not answer again.
        await ctx.store.remember(resultKey(jobId, request.purpose), TRIGGER_RECORD_TTL_MS, step.location);
        if (sp.spec.spec.savepointLocation !== step.location) {
          try {
            sp = await savepoints.replace({
              ...sp,
              spec: { metadata: { ...sp.spec.metadata, modifiedAt: now }, spec: { ...sp.spec.spec, savepointLocation: step.location } },
            });
          } catch (err) {
            if (isConflict(err) || isNotFound(err)) throw stale(err);
            throw err;
          }
        }
        sp = await writeStatus({ state: 'COMPLETED', sluice: book });
        ctx.log.info({ savepoint: sp.spec.metadata.id, job: jobId, location: step.location }, 'savepoint completed');
        await note({ kind: 'completed', location: step.location }, attempt);
        return true;
      }
    }
  }
}
