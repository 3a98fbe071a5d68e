import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../shared/runtime/store.js';

describe('in-process coordination store', () => {
  it('grants a lock to one holder at a time, until it expires', async () => {
    let now = 1000;
    const store = new MemoryStore(() => now);
    const a = await store.acquire('obj', 100);
    expect(a).not.toBeNull();
    expect(await store.acquire('obj', 100)).toBeNull();
    now += 101;
    const b = await store.acquire('obj', 100);
    expect(b).not.toBeNull();
    // The expired holder can neither release nor extend the new holder's lock.
    expect(await store.release(a!)).toBe(false);
    expect(await store.extend(a!, 1000)).toBe(false);
    expect(await store.extend(b!, 1000)).toBe(true);
    expect(await store.release(b!)).toBe(true);
    expect(await store.acquire('obj', 100)).not.toBeNull();
  });

  it('keeps idempotency records until their expiry; claim is first-wins', async () => {
    let now = 0;
    const store = new MemoryStore(() => now);
    expect(await store.recall('k')).toBeNull();
    expect(await store.claim('k', 50, 'first')).toBe(true);
    expect(await store.claim('k', 50, 'second')).toBe(false);
    expect(await store.recall('k')).toBe('first');
    now = 51;
    expect(await store.recall('k')).toBeNull();
  });

  it('begins a step with the lock, or finds it already done, and finishes it by recording and releasing', async () => {
    let now = 0;
    const store = new MemoryStore(() => now);
    const lease = await store.begin('obj', 'obj@1', 100);
    expect(lease).toMatchObject({ key: 'lock:obj' });
    expect(await store.begin('obj', 'obj@1', 100)).toBeNull();
    await store.finish(lease as Exclude<typeof lease, 'duplicate' | null>, 'obj@1', 1000);
    expect(await store.begin('obj', 'obj@1', 100)).toBe('duplicate');
    const next = await store.begin('obj', 'obj@2', 100);
    expect(next).not.toBeNull();
    expect(next).not.toBe('duplicate');
    now = 1001;
    expect(await store.begin('other', 'obj@1', 100)).not.toBe('duplicate');
  });

  it('counts, starting again from 0 once a counter expires', async () => {
    let now = 0;
    const store = new MemoryStore(() => now);
    expect(await store.count('c', 1, 50)).toBe(1);
    expect(await store.count('c', 2, 50)).toBe(3);
    now = 49;
    expect(await store.count('c', 1, 50)).toBe(4);
    now = 100;
    expect(await store.count('c', 1, 50)).toBe(1);
  });
});
