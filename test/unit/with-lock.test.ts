import { describe, expect, it } from 'vitest';
import { Unavailable } from '../../shared/runtime/errors.js';
import { withLock } from '../../shared/runtime/step.js';
import { MemoryStore } from '../../shared/runtime/store.js';

describe('withLock', () => {
  it('runs one holder at a time: the second waits for the first to finish', async () => {
    const store = new MemoryStore();
    const order: string[] = [];
    let finishFirst!: () => void;
    const first = withLock(store, 'obj', async () => {
      order.push('first starts');
      await new Promise<void>((r) => (finishFirst = r));
      order.push('first ends');
    });
    await new Promise((r) => setTimeout(r, 10));
    const second = withLock(store, 'obj', async () => void order.push('second runs'));
    await new Promise((r) => setTimeout(r, 100));
    expect(order).toEqual(['first starts']);
    finishFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['first starts', 'first ends', 'second runs']);
  });

  it('releases the lock when the body fails', async () => {
    const store = new MemoryStore();
    await expect(withLock(store, 'obj', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await store.acquire('obj', 1000)).not.toBeNull();
  });

  it('is Unavailable (to retry later) while another holder keeps the lock', async () => {
    const store = new MemoryStore();
    await store.acquire('obj', 60_000);
    await expect(withLock(store, 'obj', async () => 'ran')).rejects.toBeInstanceOf(Unavailable);
  }, 10_000);
});
