/**
 * Redis stopped in the middle of a burst of Deployments created through the REST API, then
 * started again (empty: locks and idempotency records are gone). While it is down the
 * functions answer 5xx and the in-process DeliveryQueue keeps redelivering; afterwards every
 * Deployment reaches its desired state, with exactly one Job per started Deployment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLINK_DEPLOYMENTS } from '../../shared/kube/resources.js';
import { apiServerEvent } from '../../shared/runtime/events.js';
import type { DeploymentResource } from '../../shared/model/index.js';
import { eventually } from '../bed/env.js';
import { type TestRedis, startRedis } from '../bed/redis.js';
import { post } from '../runtime/harness.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { apiOk, deploymentBody, jobsOf, podsOf, team, waitForState } from './support.js';

const VNS = 'fault-redis';
const TARGET_NS = 'fault-redis-jobs';
/** Desired states of the burst: most run, some are created CANCELLED. */
const BURST = Array.from({ length: 10 }, (_, i) => ({
  name: `burst-${i}`,
  state: i % 4 === 3 ? ('CANCELLED' as const) : ('RUNNING' as const),
}));

describe('Redis stopped during a burst of events, then restarted', () => {
  let dir: string;
  let redis: TestRedis;
  let sluice: RunningSluice;
  let targetId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-fault-redis-'));
    redis = await startRedis(dir);
    sluice = await startSluice({ redisUrl: redis.url });
    ({ targetId } = await team(sluice, VNS, TARGET_NS));
  });
  afterAll(async () => {
    await sluice?.stop();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers 5xx while Redis is down; the redelivered events then bring every Deployment to its desired state, one Job each', async () => {
    const create = (i: number) =>
      apiOk(sluice, `/api/v1/namespaces/${VNS}/deployments`, {
        method: 'POST',
        body: JSON.stringify(deploymentBody(VNS, BURST[i]!.name, targetId, BURST[i]!.state)),
      });

    // The first few while Redis is up; their steps are under way when it stops.
    for (let i = 0; i < 3; i++) await create(i);
    await redis.stop();
    for (let i = 3; i < 7; i++) await create(i); // the REST API itself needs no Redis

    // A function endpoint answers 503 (the Broker retries), never 2xx or 4xx, and acts on nothing.
    const stored = (await sluice.platform.findDeployment(VNS, BURST[4]!.name)) as DeploymentResource;
    const event = apiServerEvent({
      verb: 'add',
      mode: 'resource',
      object: stored as never,
      source: 'fault-test',
      resource: FLINK_DEPLOYMENTS.plural,
    });
    for (const fn of ['applyPatchSet', 'deploymentStep']) {
      const reply = await post(`${sluice.url}/functions/${fn}`, event);
      expect(reply.status, `${fn}: ${JSON.stringify(reply)}`).toBe(503);
      expect(reply.reason).toMatch(/Redis unavailable/);
    }
    expect((await fetch(`${sluice.url}/readyz`)).status).toBe(503);
    // Nothing moved while Redis was away: every step is taken under a Redis lock.
    await new Promise((r) => setTimeout(r, 1500));
    const during = await sluice.platform.findDeployment(VNS, BURST[5]!.name);
    expect(during?.status?.sluice?.effective, 'no step ran without Redis').toBeUndefined();

    await redis.restart();
    for (let i = 7; i < BURST.length; i++) await create(i);

    for (const { name, state } of BURST) await waitForState(sluice, VNS, name, state, 90_000);
    for (const { name, state } of BURST) {
      const d = (await sluice.platform.findDeployment(VNS, name))!;
      const jobs = await jobsOf(sluice, d.spec.metadata.id);
      if (state === 'RUNNING') {
        expect(jobs, `${name}: exactly one job`).toHaveLength(1);
        expect(jobs[0]!.spec.metadata.id).toBe(d.status?.running?.jobId);
        const pods = await eventually(
          async () => {
            const p = await podsOf(sluice, TARGET_NS, d.spec.metadata.id);
            return p.length >= 2 ? p : undefined;
          },
          20_000,
          `pods of ${name}`,
        );
        expect(pods.map((p) => p.metadata?.labels?.component).sort(), `${name}: one JobManager, one TaskManager`).toEqual([
          'jobmanager',
          'taskmanager',
        ]);
      } else {
        expect(jobs, `${name}: created ${state}, never started`).toHaveLength(0);
      }
    }
    // And the functions answer again.
    expect((await fetch(`${sluice.url}/readyz`)).status).toBe(200);
  }, 180_000);
});
