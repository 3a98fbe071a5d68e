import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Unavailable } from './errors.js';

/** A held lock: only the holder of `token` can release or extend it. */
export interface Lease {
  key: string;
  token: string;
}

/**
 * Coordination between function instances: leader locks with expiry, and idempotency
 * records. Redis in production; an in-process implementation with the same contract for
 * single-process mode without REDIS_URL. Any failure to reach the store is Unavailable.
 */
export interface CoordinationStore {
  /** Takes the lock if free; null when another holder has it. */
  acquire(key: string, ttlMs: number): Promise<Lease | null>;
  /** Releases only if still held by this lease; returns whether it was. */
  release(lease: Lease): Promise<boolean>;
  /** Extends only if still held by this lease; returns whether it was. */
  extend(lease: Lease, ttlMs: number): Promise<boolean>;
  /**
   * One round trip: 'duplicate' if the idempotency record `doneKey` exists; else takes the
   * lock (a Lease), or null when another holder has it. The check and the take are atomic,
   * so a holder that finished meanwhile is seen as a duplicate, never as a free lock.
   */
  begin(lockKey: string, doneKey: string, ttlMs: number): Promise<Lease | 'duplicate' | null>;
  /** One round trip: writes the idempotency record `doneKey`, then releases the lease if still held. */
  finish(lease: Lease, doneKey: string, recordTtlMs: number): Promise<void>;
  /** Writes an idempotency record. */
  remember(key: string, ttlMs: number, value?: string): Promise<void>;
  /** Writes the record only if absent; true for the first caller. */
  claim(key: string, ttlMs: number, value?: string): Promise<boolean>;
  /** Reads a record's value. */
  recall(key: string): Promise<string | null>;
  /** Adds `by` to a counter (0 when absent or expired) and returns the sum; the counter lives `ttlMs` from now. */
  count(key: string, by: number, ttlMs: number): Promise<number>;
  forget(key: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

// Compare-and-delete / compare-and-extend: the token check and the write are one atomic step.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
// KEYS: lock, done record. 0: already done; 1: lock taken; -1: held by another.
const BEGIN = `if redis.call('exists', KEYS[2]) == 1 then return 0 end
if redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 1 end
return -1`;
// KEYS: lock, done record. Records, then compare-and-deletes the lock.
const FINISH = `redis.call('set', KEYS[2], '1', 'PX', ARGV[2])
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
// The add and the expiry in one round trip.
const COUNT = `local n = redis.call('incrby', KEYS[1], ARGV[1])
redis.call('pexpire', KEYS[1], ARGV[2])
return n`;

type ScriptedRedis = Redis & {
  sluiceRelease(key: string, token: string): Promise<number>;
  sluiceExtend(key: string, token: string, ttl: number): Promise<number>;
  sluiceBegin(lock: string, done: string, token: string, ttl: number): Promise<number>;
  sluiceFinish(lock: string, done: string, token: string, ttl: number): Promise<number>;
  sluiceCount(key: string, by: number, ttl: number): Promise<number>;
};

export class RedisStore implements CoordinationStore {
  readonly #redis: ScriptedRedis;
  readonly #prefix: string;

  /**
   * `scope` separates installations that share one Redis (keys are `sluice:<scope>:...`):
   * two installations see the same pod events, and must not take each other's records.
   */
  constructor(url: string, scope = 'default') {
    this.#prefix = `sluice:${scope}:`;
    const redis = new Redis(url, {
      // Fail fast while Redis is down so the function answers 5xx and the Broker retries,
      // instead of holding the request in ioredis's offline queue.
      maxRetriesPerRequest: 1,
      connectTimeout: 1000,
      commandTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 100, 1000),
      lazyConnect: false,
      // Commands issued in the same tick (concurrent events) go out in one socket write:
      // each is still one round trip, but a burst no longer costs a system call per command.
      enableAutoPipelining: true,
    });
    redis.on('error', () => {
      /* surfaced per command as Unavailable; the connection retries by itself */
    });
    redis.defineCommand('sluiceRelease', { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand('sluiceExtend', { numberOfKeys: 1, lua: EXTEND });
    redis.defineCommand('sluiceBegin', { numberOfKeys: 2, lua: BEGIN });
    redis.defineCommand('sluiceFinish', { numberOfKeys: 2, lua: FINISH });
    redis.defineCommand('sluiceCount', { numberOfKeys: 1, lua: COUNT });
    this.#redis = redis as ScriptedRedis;
  }

  /** Where the keys live: `sluice:<scope>:lock:<key>` and `sluice:<scope>:done:<key>`. */
  #newLease(lockKey: string): Lease {
    return { key: `${this.#prefix}lock:${lockKey}`, token: randomUUID() };
  }
  #doneKey(key: string): string {
    return `${this.#prefix}done:${key}`;
  }

  async #run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw new Unavailable(`Redis unavailable (${what}): ${(err as Error).message}`, { cause: err });
    }
  }

  async acquire(key: string, ttlMs: number): Promise<Lease | null> {
    const lease = this.#newLease(key);
    const ok = await this.#run('acquire', () => this.#redis.set(lease.key, lease.token, 'PX', ttlMs, 'NX'));
    return ok === 'OK' ? lease : null;
  }
  async release(lease: Lease): Promise<boolean> {
    return (await this.#run('release', () => this.#redis.sluiceRelease(lease.key, lease.token))) === 1;
  }
  async extend(lease: Lease, ttlMs: number): Promise<boolean> {
    return (await this.#run('extend', () => this.#redis.sluiceExtend(lease.key, lease.token, ttlMs))) === 1;
  }
  async begin(lockKey: string, doneKey: string, ttlMs: number): Promise<Lease | 'duplicate' | null> {
    const lease = this.#newLease(lockKey);
    const r = await this.#run('begin', () => this.#redis.sluiceBegin(lease.key, this.#doneKey(doneKey), lease.token, ttlMs));
    return r === 0 ? 'duplicate' : r === 1 ? lease : null;
  }
  async finish(lease: Lease, doneKey: string, recordTtlMs: number): Promise<void> {
    await this.#run('finish', () => this.#redis.sluiceFinish(lease.key, this.#doneKey(doneKey), lease.token, recordTtlMs));
  }
  async remember(key: string, ttlMs: number, value = '1'): Promise<void> {
    await this.#run('remember', () => this.#redis.set(this.#doneKey(key), value, 'PX', ttlMs));
  }
  async claim(key: string, ttlMs: number, value = '1'): Promise<boolean> {
    return (await this.#run('claim', () => this.#redis.set(this.#doneKey(key), value, 'PX', ttlMs, 'NX'))) === 'OK';
  }
  async recall(key: string): Promise<string | null> {
    return this.#run('recall', () => this.#redis.get(this.#doneKey(key)));
  }
  async count(key: string, by: number, ttlMs: number): Promise<number> {
    return this.#run('count', () => this.#redis.sluiceCount(this.#doneKey(key), by, ttlMs));
  }
  async forget(key: string): Promise<void> {
    await this.#run('forget', () => this.#redis.del(this.#doneKey(key)));
  }
  async ping(): Promise<void> {
    await this.#run('ping', () => this.#redis.ping());
  }
  async close(): Promise<void> {
    this.#redis.disconnect();
  }
}

/** The same contract in process memory, for single-process mode without Redis. */
export class MemoryStore implements CoordinationStore {
  readonly #entries = new Map<string, { value: string; expires: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  #get(key: string): string | null {
    const entry = this.#entries.get(key);
    if (!entry) return null;
    if (entry.expires <= this.#now()) {
      this.#entries.delete(key);
      return null;
    }
    return entry.value;
  }
  #set(key: string, value: string, ttlMs: number) {
    this.#entries.set(key, { value, expires: this.#now() + ttlMs });
    if (this.#entries.size % 1024 === 0) this.#sweep();
  }
  #sweep() {
    const now = this.#now();
    for (const [k, e] of this.#entries) if (e.expires <= now) this.#entries.delete(k);
  }

  async acquire(key: string, ttlMs: number): Promise<Lease | null> {
    const k = `lock:${key}`;
    if (this.#get(k) !== null) return null;
    const lease = { key: k, token: randomUUID() };
    this.#set(k, lease.token, ttlMs);
    return lease;
  }
  async release(lease: Lease): Promise<boolean> {
    if (this.#get(lease.key) !== lease.token) return false;
    this.#entries.delete(lease.key);
    return true;
  }
  async extend(lease: Lease, ttlMs: number): Promise<boolean> {
    if (this.#get(lease.key) !== lease.token) return false;
    this.#set(lease.key, lease.token, ttlMs);
    return true;
  }
  async begin(lockKey: string, doneKey: string, ttlMs: number): Promise<Lease | 'duplicate' | null> {
    if (this.#get(`done:${doneKey}`) !== null) return 'duplicate';
    return this.acquire(lockKey, ttlMs);
  }
  async finish(lease: Lease, doneKey: string, recordTtlMs: number): Promise<void> {
    this.#set(`done:${doneKey}`, '1', recordTtlMs);
    await this.release(lease);
  }
  async remember(key: string, ttlMs: number, value = '1'): Promise<void> {
    this.#set(`done:${key}`, value, ttlMs);
  }
  async claim(key: string, ttlMs: number, value = '1'): Promise<boolean> {
    if (this.#get(`done:${key}`) !== null) return false;
    this.#set(`done:${key}`, value, ttlMs);
    return true;
  }
  async recall(key: string): Promise<string | null> {
    return this.#get(`done:${key}`);
  }
  async count(key: string, by: number, ttlMs: number): Promise<number> {
    const sum = Number(this.#get(`done:${key}`) ?? 0) + by;
    this.#set(`done:${key}`, String(sum), ttlMs);
    return sum;
  }
  async forget(key: string): Promise<void> {
    this.#entries.delete(`done:${key}`);
  }
  async ping(): Promise<void> {}
  async close(): Promise<void> {
    this.#entries.clear();
  }
}

/** Redis when a URL is given, else the in-process store; keys scoped to the installation. */
export function createStore(redisUrl: string | undefined, scope: string): CoordinationStore {
  return redisUrl ? new RedisStore(redisUrl, scope) : new MemoryStore();
}
