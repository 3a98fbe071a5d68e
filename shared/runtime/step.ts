import { type FunctionContext, type ObjectEvent, type Outcome, type SluiceFunction, matchingSubscription, refKey } from './define.js';
import { Unavailable } from './errors.js';

const LOCK_TTL_MS = 30_000;
const LOCK_WAIT_MS = 5_000;
const DEDUPE_TTL_MS = 60 * 60 * 1000;

/**
 * A redelivered resource event names the same object version: key the idempotency
 * record on uid + resourceVersion + verb (event ids are random, SPEC §4).
 */
function dedupeKey(fn: SluiceFunction, event: ObjectEvent): string | undefined {
  if (event.mode !== 'resource') return undefined;
  const { uid, resourceVersion } = event.object.metadata;
  return uid && resourceVersion ? `${fn.name}:${uid}:${resourceVersion}:${event.verb}` : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withLock<T>(ctx: FunctionContext, key: string, body: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  let lease = await ctx.store.acquire(key, LOCK_TTL_MS);
  while (!lease) {
    if (Date.now() > deadline) throw new Unavailable(`another instance holds the lock on ${key}; retry later`);
    await sleep(20 + Math.random() * 40);
    lease = await ctx.store.acquire(key, LOCK_TTL_MS);
  }
  try {
    return await body();
  } finally {
    await ctx.store.release(lease).catch(() => {
      /* expires by itself */
    });
  }
}

/** Runs one step of `fn` for an object event: filter, deduplicate, lock, handle. */
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
  const duplicate: Outcome = { result: 'skipped', reason: 'duplicate: already handled' };
  // Fast path: a redelivery of a handled event costs one Redis round trip.
  if (key && (await ctx.store.seen(key))) return duplicate;
  return withLock(ctx, `${fn.name}:${fn.lockKey?.(event) ?? refKey(event.ref)}`, async () => {
    // Checked again under the lock: a concurrent delivery may have handled it meanwhile.
    if (key && (await ctx.store.seen(key))) return duplicate;
    const outcome = await fn.handle(event, ctx);
    if (key) await ctx.store.remember(key, DEDUPE_TTL_MS);
    return outcome;
  });
}
