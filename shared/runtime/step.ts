import { type FunctionContext, type ObjectEvent, type Outcome, type SluiceFunction, matchingSubscription, refKey } from './define.js';
import { Unavailable } from './errors.js';
import type { CoordinationStore, Lease } from './store.js';

/**
 * A step's lock lives this long unless its holder renews it (every third of it, while the step
 * runs): a process that dies mid-step holds its objects for at most this long.
 */
export const LOCK_TTL_MS = 8_000;
const LOCK_WAIT_MS = 5_000;
const DEDUPE_TTL_MS = 60 * 60 * 1000;

/**
 * A redelivered resource event names the same object version: key the idempotency
 * record on uid + resourceVersion + verb (event ids are random).
 */
function dedupeKey(fn: SluiceFunction, event: ObjectEvent): string | undefined {
  if (event.mode !== 'resource') return undefined;
  const { uid, resourceVersion } = event.object.metadata;
  return uid && resourceVersion ? `${fn.name}:${uid}:${resourceVersion}:${event.verb}` : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes the object's lock, or finds the event already handled. With an idempotency key
 * both are one Redis round trip (a duplicate costs exactly that one); a lock held by
 * another instance is waited for, and found handled once that instance is done.
 */
async function take(store: CoordinationStore, lockKey: string, doneKey: string): Promise<Lease | 'duplicate'>;
async function take(store: CoordinationStore, lockKey: string, doneKey?: undefined): Promise<Lease>;
async function take(store: CoordinationStore, lockKey: string, doneKey: string | undefined): Promise<Lease | 'duplicate'>;
async function take(store: CoordinationStore, lockKey: string, doneKey: string | undefined): Promise<Lease | 'duplicate'> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    const taken = doneKey ? await store.begin(lockKey, doneKey, LOCK_TTL_MS) : await store.acquire(lockKey, LOCK_TTL_MS);
    if (taken) return taken;
    if (Date.now() > deadline) throw new Unavailable(`another instance holds the lock on ${lockKey}; retry later`);
    await sleep(20 + Math.random() * 40);
  }
}

/** Runs `body` while renewing `lease`, so that it outlives LOCK_TTL_MS only while its holder lives. */
async function holding<T>(store: CoordinationStore, lease: Lease, body: () => Promise<T>): Promise<T> {
  const renewal = setInterval(() => void store.extend(lease, LOCK_TTL_MS).catch(() => undefined), LOCK_TTL_MS / 3);
  try {
    return await body();
  } finally {
    clearInterval(renewal);
  }
}

const release = (store: CoordinationStore, lease: Lease) =>
  store.release(lease).catch(() => {
    /* expires by itself */
  });

/**
 * Runs `body` under the lock `key`, as a step holds its object's: waited for while another
 * instance holds it (Unavailable after LOCK_WAIT_MS), renewed while `body` runs, released after.
 */
export async function withLock<T>(store: CoordinationStore, key: string, body: () => Promise<T>): Promise<T> {
  const lease = await take(store, key);
  try {
    return await holding(store, lease, body);
  } finally {
    await release(store, lease);
  }
}

/**
 * Runs one step of `fn` for an object event: filter, deduplicate, lock, handle. Redis round
 * trips: one for a duplicate; two for a step (take the lock and check, record and release).
 */
export async function runStep(
  fn: SluiceFunction,
  event: ObjectEvent,
  ctx: FunctionContext,
  opts: { force?: boolean } = {},
): Promise<Outcome> {
  if (!matchingSubscription(fn, event, ctx.settings)) {
    return { result: 'skipped', reason: `not ours: ${event.ref.kind} ${event.verb}` };
  }
  const key = opts.force ? undefined : dedupeKey(fn, event);
  const lease = await take(ctx.store, `${fn.name}:${fn.lockKey?.(event) ?? refKey(event.ref)}`, key);
  if (lease === 'duplicate') return { result: 'skipped', reason: 'duplicate: already handled' };
  let outcome: Outcome;
  try {
    outcome = await holding(ctx.store, lease, () => fn.handle(event, ctx));
  } catch (err) {
    await release(ctx.store, lease);
    throw err;
  }
  // The record and the release in one round trip; if it fails the step is retried, and
  // the retry waits for the lock to expire (it finds the work done, level-triggered).
  if (key) await ctx.store.finish(lease, key, DEDUPE_TTL_MS);
  else await release(ctx.store, lease);
  return outcome;
}
