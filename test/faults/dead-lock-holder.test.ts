import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventFunctions } from '../../functions/index.js';
import { resync } from '../../shared/runtime/resync.js';
import { LOCK_TTL_MS } from '../../shared/runtime/step.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { apiOk, deploymentBody, deploymentCr, jobsOf, team } from './support.js';

const VNS = 'fault-dead-holder';

/**
 * A process killed mid-step leaves its lock in Redis. Recovery must not wait for the periodic
 * resync: the lock expires within LOCK_TTL_MS (its holder no longer renews it), and a resync
 * (the one at start-up, or the next delivery's) retries what the lock held back instead of
 * giving up on it.
 */
describe('a lock whose holder died', () => {
  let sluice: RunningSluice;
  let targetId: string;

  beforeAll(async () => {
    sluice = await startSluice({ events: false });
    ({ targetId } = await team(sluice, VNS, `${VNS}-jobs`, { withoutEvents: true }));
  });
  afterAll(() => sluice?.stop());

  it('holds a deployment back only until it expires; the resync retries and completes the step', async () => {
    await apiOk(sluice, `/api/v1/namespaces/${VNS}/deployments`, {
      method: 'POST',
      body: JSON.stringify(deploymentBody(VNS, 'held', targetId)),
    });
    await resync(await eventFunctions.applyPatchSet!(), sluice.ctx);
    const d = await deploymentCr(sluice, VNS, 'held');
    // What a process killed in the middle of this deployment's step leaves behind (it never renews it).
    const held = await sluice.ctx.store.acquire(`deploymentStep:deployment/${d.metadata.name}`, LOCK_TTL_MS);
    expect(held).not.toBeNull();

    const started = Date.now();
    const summary = await resync(await eventFunctions.deploymentStep!(), sluice.ctx);
    const took = Date.now() - started;
    expect(summary).toMatchObject({ failed: 0 });
    expect(summary.handled).toBeGreaterThanOrEqual(1);
    expect(took).toBeLessThan(2 * LOCK_TTL_MS + 5_000);
    expect(await jobsOf(sluice, d.spec.metadata.id)).toHaveLength(1);
  }, 60_000);
});
