/**
 * A function process killed (SIGKILL) in the middle of a step. deploymentStep runs as its
 * container does (`node --import tsx bin/function.ts`, SLUICE_FUNCTION=deploymentStep) but
 * reaches the API server through a TCP proxy that freezes after a given number of chunks
 * from the client: the process then hangs on a request that the server has received (and
 * perhaps carried out) but never answered, and is killed there. Sweeping the freezing point
 * kills it between each of the step's writes. The next delivery (to another instance) or a
 * resync completes the step: exactly one Job, with all its objects, each time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CloudEvent } from 'cloudevents';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventFunctions } from '../../functions/index.js';
import { freePort } from '../../shared/local/ports.js';
import { FLINK_DEPLOYMENTS } from '../../shared/kube/resources.js';
import { dispatch } from '../../shared/runtime/dispatch.js';
import { apiServerEvent, fromCloudEvent } from '../../shared/runtime/events.js';
import type { DeploymentResource } from '../../shared/vvp/crs.js';
import { parentName } from '../../shared/vvp/flink-resources.js';
import { testBed } from '../bed/env.js';
import { post, serveFunction } from '../runtime/harness.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { FreezingProxy, deploymentBody, jobsOf, team } from './support.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const VNS = 'fault-kill';
const TARGET_NS = 'fault-kill-jobs';

type Progress =
  | 'nothing yet'
  | 'job recorded on the deployment'
  | 'FlinkJob created'
  | 'parent ConfigMap created'
  | 'all objects created'
  | 'step complete';

describe('a function process killed in the middle of a step', () => {
  let dir: string;
  let sluice: RunningSluice;
  let proxy: FreezingProxy;
  let proxiedKubeconfig: string;
  let targetId: string;
  let recovery: { url: string; close(): Promise<void> };
  let redis: Redis;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-fault-kill-'));
    sluice = await startSluice({ events: false });
    // No event source: the target's namespace is made by one resync of its function.
    ({ targetId } = await team(sluice, VNS, TARGET_NS, { withoutEvents: true }));

    const server = new URL(testBed().server);
    proxy = new FreezingProxy(server.hostname, Number(server.port));
    await proxy.start();
    proxiedKubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      proxiedKubeconfig,
      readFileSync(testBed().kubeconfig, 'utf8').replaceAll(server.origin, `https://${server.hostname}:${proxy.port}`),
    );
    // The instance the next delivery goes to (another pod, as Knative would start).
    recovery = await serveFunction(await eventFunctions.deploymentStep!(), sluice.ctx);
    redis = new Redis(testBed().redisUrl);
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    await recovery?.close();
    await proxy?.stop();
    await sluice?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** deploymentStep as its container runs it, through the proxy; resolves once it serves. */
  async function startVictim(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/function.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        SLUICE_FUNCTION: 'deploymentStep',
        PORT: String(port),
        KUBECONFIG: proxiedKubeconfig,
        REDIS_URL: testBed().redisUrl,
        SLUICE_PLATFORM_NAMESPACE: sluice.ctx.settings.platformNamespace,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`deploymentStep exited ${child.exitCode}: ${output}`);
      // Ready: it has reached the API server (through the proxy), so the connection the step
      // uses is open before the proxy starts counting, and the sweep counts the step's requests alone.
      if (
        await fetch(`${url}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return { child, url, output: () => output };
      if (Date.now() > deadline) throw new Error(`deploymentStep did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** A RUNNING Deployment with its effective spec recorded, and the event that starts its job. */
  async function readyToStart(name: string): Promise<{ d: DeploymentResource; event: CloudEvent<unknown> }> {
    const created = await sluice.platform.createDeployment(VNS, deploymentBody(VNS, name, targetId));
    const applyPatchSet = await eventFunctions.applyPatchSet!();
    const added = apiServerEvent({
      verb: 'add',
      mode: 'resource',
      object: created as never,
      source: 'fault-test',
      resource: FLINK_DEPLOYMENTS.plural,
    });
    expect((await dispatch(applyPatchSet, fromCloudEvent(added) as never, sluice.ctx)).status).toBe(200);
    const d = (await sluice.platform.deployments.get(created.metadata.name))!;
    expect(d.status?.sluice?.effective?.spec).toBeDefined();
    return {
      d,
      event: apiServerEvent({
        verb: 'update',
        mode: 'resource',
        object: d as never,
        source: 'fault-test',
        resource: FLINK_DEPLOYMENTS.plural,
      }),
    };
  }

  /** How far the step got, from what is stored. */
  async function progress(d: DeploymentResource): Promise<Progress> {
    const now = (await sluice.platform.deployments.get(d.metadata.name))!;
    const recorded = now.status?.sluice?.job;
    if (!recorded) return 'nothing yet';
    const job = (await jobsOf(sluice, d.spec.metadata.id)).find((j) => j.spec.metadata.id === recorded.id);
    if (!job) return 'job recorded on the deployment';
    const cm = await sluice.kube.core
      .readNamespacedConfigMap({ namespace: TARGET_NS, name: parentName(job.spec.metadata.id) })
      .catch(() => undefined);
    if (!cm) return 'FlinkJob created';
    const objects = await objectsOf(job.spec.metadata.id);
    if (objects.length < 3) return 'parent ConfigMap created';
    return job.status?.state ? 'step complete' : 'all objects created';
  }

  /** The job's Service, batch Job and Deployment in the target namespace. */
  async function objectsOf(jobId: string): Promise<string[]> {
    const selector = { namespace: TARGET_NS, labelSelector: `jobId=${jobId}` };
    const [svc, jobs, deps] = await Promise.all([
      sluice.kube.core.listNamespacedService(selector),
      sluice.kube.batch.listNamespacedJob(selector),
      sluice.kube.apps.listNamespacedDeployment(selector),
    ]);
    return [
      ...svc.items.map((o) => `Service/${o.metadata!.name}`),
      ...jobs.items.map((o) => `Job/${o.metadata!.name}`),
      ...deps.items.map((o) => `Deployment/${o.metadata!.name}`),
    ];
  }

  /** A lock its dead holder will never release expires by itself (LOCK_TTL_MS); here, now. */
  async function expireDeadLocks(): Promise<number> {
    const keys = await redis.keys(`sluice:${sluice.ctx.settings.platformNamespace}:lock:deploymentStep:*`);
    for (const key of keys) await redis.pexpire(key, 1);
    return keys.length;
  }

  /** Delivers as the Broker does: again while the function answers 5xx. */
  async function deliverUntilAnswered(event: CloudEvent<unknown>, timeoutMs: number): Promise<{ status: number; outcome: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = await post(recovery.url, event);
      if (reply.status < 500 || Date.now() > deadline) return reply;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  it('is completed by the next delivery or the resync, with exactly one Job, wherever it was killed', async () => {
    const seen = new Map<number, Progress>();
    // Client chunks to let through before freezing, on the connection opened when the function
    // became ready (its savepoints, the status write, the FlinkJob, the ConfigMap, ...); the
    // step plans from the event's copy of the Deployment, so no read of it comes first. Seen
    // here with every point from 1 to 14: 1-2 nothing yet, 3-4 job recorded, 5 FlinkJob, 6-11
    // parent ConfigMap, 12 all objects, 13-14 step complete.
    const points = [2, 3, 5, 6, 8, 10, 12, 13];
    for (const [i, point] of points.entries()) {
      const { d, event } = await readyToStart(`killed-at-${point}`);
      proxy.reset();
      const victim = await startVictim();
      proxy.freezeAfter(point);
      const answered = post(victim.url, event).then(
        (r) => r,
        () => undefined,
      );
      // Killed while it hangs on the frozen API server, or, if the step needed fewer requests, after it.
      const deadline = Date.now() + 15_000;
      let finished = false;
      void answered.then(() => (finished = true));
      while (!(proxy.frozen && proxy.held > 0) && !finished && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
      victim.child.kill('SIGKILL');
      await new Promise((r) => victim.child.once('exit', r));
      proxy.reset();
      seen.set(point, await progress(d));

      if (i === 0) {
        // Its lock expires by itself (LOCK_TTL_MS): meanwhile redeliveries answer 503 and are retried.
        const reply = await deliverUntilAnswered(event, 60_000);
        expect(reply.status, JSON.stringify(reply)).toBe(200);
      } else if (i === points.length - 1) {
        await expireDeadLocks();
        const res = await fetch(`${recovery.url}/resync`, { method: 'POST' });
        expect(res.status, await res.clone().text()).toBe(200);
      } else {
        await expireDeadLocks();
        const reply = await deliverUntilAnswered(event, 20_000);
        expect(reply.status, JSON.stringify(reply)).toBe(200);
      }

      const done = (await sluice.platform.deployments.get(d.metadata.name))!;
      const jobs = await jobsOf(sluice, d.spec.metadata.id);
      expect(jobs, `killed at ${point} (${seen.get(point)}): exactly one FlinkJob`).toHaveLength(1);
      const job = jobs[0]!;
      expect(done.status?.sluice?.job?.id).toBe(job.spec.metadata.id);
      expect(job.status?.state, `killed at ${point}: the job was started`).toBeDefined();
      expect((await objectsOf(job.spec.metadata.id)).sort(), `killed at ${point}: one Service, one Job, one Deployment`).toEqual(
        [
          `Deployment/job-${job.spec.metadata.id}-taskmanager`,
          `Job/job-${job.spec.metadata.id}-jobmanager`,
          `Service/job-${job.spec.metadata.id}-jobmanager`,
        ].sort(),
      );
    }
    console.log(`kill points -> progress at the kill: ${JSON.stringify(Object.fromEntries(seen))}`);
    // The sweep really did stop it half-way, at several different places.
    const midway = new Set([...seen.values()].filter((p) => p !== 'nothing yet' && p !== 'step complete'));
    expect(midway.size, `where the kills landed: ${JSON.stringify([...seen])}`).toBeGreaterThanOrEqual(3);
  }, 300_000);
});
