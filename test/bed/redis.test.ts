import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBed } from './env.js';
import { startRedis, type TestRedis } from './redis.js';

/** A client that fails fast instead of queueing commands while Redis is away. */
const client = (url: string) =>
  new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => 100 });

describe('redis of the shared bed', () => {
  it('answers', async () => {
    const redis = client(testBed().redisUrl);
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
    redis.disconnect();
  });
});

describe('redis outage (a private instance, so the shared one stays up)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-'));
  let server: TestRedis;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedis(dir);
    redis = client(server.url);
    redis.on('error', () => {}); // reconnect noise during the outage
    await redis.connect();
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs on loopback without persistence', async () => {
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(await redis.config('GET', 'save')).toEqual(['save', '']);
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
  });

  it('fails commands while stopped and serves again after restart, on the same port', async () => {
    await redis.set('k', 'v');
    const pid = server.pid;
    await server.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(redis.get('k')).rejects.toThrow();

    await server.restart();
    expect(server.pid).not.toBe(pid);
    // The client reconnects by itself; nothing was persisted.
    const value = await (async () => {
      for (let i = 0; i < 50; i++) {
        try {
          return await redis.get('k');
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw new Error('redis did not come back');
    })();
    expect(value).toBeNull();
    await redis.set('k', 'again');
    expect(await redis.get('k')).toBe('again');
  });
});
