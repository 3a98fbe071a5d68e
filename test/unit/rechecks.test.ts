import { afterEach, describe, expect, it, vi } from 'vitest';
import { TimerRechecks, isRecheck } from '../../shared/runtime/rechecks.js';

describe('rechecks in one process', () => {
  afterEach(() => vi.useRealTimers());

  it('pings an armed function every interval, once however often it is armed, and nothing once disarmed', async () => {
    vi.useFakeTimers();
    const pings: string[] = [];
    const rechecks = new TimerRechecks((name) => pings.push(name), 5_000);
    await rechecks.arm('onJobPodStatus');
    await rechecks.arm('onJobPodStatus');
    vi.advanceTimersByTime(10_000);
    expect(pings).toEqual(['onJobPodStatus', 'onJobPodStatus']);
    await rechecks.disarm('onJobPodStatus');
    vi.advanceTimersByTime(60_000);
    expect(pings).toHaveLength(2);
  });

  it('tells a recheck ping from a resync ping by its data', () => {
    expect(isRecheck({ recheck: true })).toBe(true);
    expect(isRecheck({ reason: 'periodic resync' })).toBe(false);
    expect(isRecheck('{"recheck":true}')).toBe(false);
  });
});
