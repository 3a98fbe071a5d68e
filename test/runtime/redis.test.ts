import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../shared/runtime/store.js';
import { type TestRedis, startRedis } from '../bed/redis.js';
import { testBed } from '../bed/env.js';
import { contextWith, podEvent, post, recordingFunction, serveFunction } from './harness.js';

describe('leader locks in real Redis', () => {
  const a = new RedisStore(testBed().redisUrl);
  const b = new RedisStore(testBed().redisUrl);
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('are exclusive: of two racing instances exactly one gets the lock', async () => {
    const key = `race-${Date.now()}`;
    const leases = await Promise.all([a.acquire(key, 5000), b.acquire(key, 5000), a.acquire(key, 5000), b.acquire(key, 5000)]);
    expect(leases.filter(Boolean)).toHaveLength(1);
  });

  it('can be released or extended only by their holder, and expire by themselves', async () => {
    const key = `expiry-${Date.now()}`;
    const lease = (await a.acquire(key, 200))!;
    expect(lease).not.toBeNull();
    const forged = { ...lease, token: 'not-the-holder' };
    expect(await b.release(forged)).toBe(false);
    expect(await b.extend(forged, 10_000)).toBe(false);
    expect(await b.acquire(key, 200)).toBeNull();
    await new Promise((r) => setTimeout(r, 300));
    const next = await b.acquire(key, 5000);
    expect(next).not.toBeNull();
    // The first holder's lease has expired: it can no longer release the new holder's lock.
    expect(await a.release(lease)).toBe(false);
    expect(await b.extend(next!, 5000)).toBe(true);
    expect(await b.release(next!)).toBe(true);
  });

  it('keeps idempotency records with first-wins claims', async () => {
    const key = `claim-${Date.now()}`;
    const claims = await Promise.all([a.claim(key, 5000, 'a'), b.claim(key, 5000, 'b')]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(['a', 'b']).toContain(await b.recall(key));
  });

  it('begins a step atomically: one racer takes the lock, a finished step is found done', async () => {
    const lock = `step-${Date.now()}`;
    const done = `${lock}@1`;
    const racers = await Promise.all([a.begin(lock, done, 5000), b.begin(lock, done, 5000), a.begin(lock, done, 5000)]);
    const leases = racers.filter((r) => r !== null && r !== 'duplicate');
    expect(leases).toHaveLength(1);
    expect(racers.filter((r) => r === null)).toHaveLength(2);
    await a.finish(leases[0]!, done, 5000);
    expect(await b.begin(lock, done, 5000)).toBe('duplicate');
    // finish released the lock: the next version of the object is not kept waiting.
    const next = await b.begin(lock, `${lock}@2`, 5000);
    expect(next).not.toBeNull();
    expect(next).not.toBe('duplicate');
    expect(await b.release(next as Exclude<typeof next, 'duplicate' | null>)).toBe(true);
  });

  it('counts atomically across instances, and the counter expires', async () => {
    const key = `count-${Date.now()}`;
    const sums = await Promise.all([a.count(key, 1, 5000), b.count(key, 2, 5000), a.count(key, 3, 5000)]);
    expect(Math.max(...sums)).toBe(6);
    expect(await b.count(key, 1, 100)).toBe(7);
    await new Promise((r) => setTimeout(r, 150));
    expect(await a.count(key, 1, 5000)).toBe(1);
  });
});

describe('a Redis outage', () => {
  let dir: string;
  let redis: TestRedis;
  let store: RedisStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-redis-outage-'));
    redis = await startRedis(dir);
    store = new RedisStore(redis.url);
  });
  afterAll(async () => {
    await store.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes the function answer 503 (so the Broker retries), and the redelivery succeeds once Redis is back', async () => {
    const { fn, acted } = recordingFunction();
    const server = await serveFunction(fn, contextWith(store));
    try {
      expect((await post(server.url, podEvent('before', '1'))).status).toBe(200);
      await redis.stop();
      const during = await post(server.url, podEvent('during', '1'));
      expect(during.status).toBe(503);
      expect(during.reason).toMatch(/Redis unavailable/);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      expect(acted).not.toContain('during@1');

      await redis.restart();
      // The Broker redelivers the same event; ioredis reconnects by itself.
      let redelivered = await post(server.url, podEvent('during', '1'));
      for (let i = 0; i < 50 && redelivered.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        redelivered = await post(server.url, podEvent('during', '1'));
      }
      expect(redelivered).toMatchObject({ status: 200, outcome: 'handled' });
      expect((await post(server.url, podEvent('during', '1'))).outcome).toBe('skipped');
      expect(acted.filter((x) => x === 'during@1')).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
