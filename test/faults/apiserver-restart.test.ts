/**
 * The API server restarted in the middle of a burst (etcd kept). Sluice's in-process event
 * source must resume its watches from where they were, so that changes made while it
 * reconnects (written straight to the API server, the moment it is back) are not missed;
 * every Deployment then runs, with exactly one Job each. A private cluster: this test
 * restarts its API server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCluster, startLocalCluster } from '../../shared/local/cluster.js';
import { type PodSimulator, startPodSimulator } from '../../shared/local/pod-simulator.js';
import { eventually, testBed } from '../bed/env.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { apiOk, deploymentBody, jobsOf, podsOf, team, waitForState } from './support.js';

const VNS = 'fault-api';
const TARGET_NS = 'fault-api-jobs';

describe('the API server restarted mid-burst (etcd kept)', () => {
  let dir: string;
  let cluster: LocalCluster;
  let simulator: PodSimulator;
  let sluice: RunningSluice;
  let targetId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-fault-api-'));
    cluster = await startLocalCluster({ dir: join(dir, 'cluster'), log: () => {} });
    simulator = await startPodSimulator(cluster.kubeconfig, { log: () => {} });
    sluice = await startSluice({ kubeconfig: cluster.kubeconfig, redisUrl: testBed().redisUrl });
    ({ targetId } = await team(sluice, VNS, TARGET_NS));
  }, 180_000);
  afterAll(async () => {
    await sluice?.stop().catch(() => undefined);
    await simulator?.stop();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Where each Deployment got stuck: its status, its jobs, their pods. */
  async function diagnose(names: string[]): Promise<string> {
    const lines: string[] = [];
    for (const name of names) {
      const d = await sluice.platform.findDeployment(VNS, name);
      if (!d) {
        lines.push(`${name}: missing`);
        continue;
      }
      const jobs = await jobsOf(sluice, d.spec.metadata.id);
      const pods = await podsOf(sluice, TARGET_NS, d.spec.metadata.id);
      // The job's objects exist but no pods: kube-controller-manager has not caught up yet (its
      // informers back off while the API server is away); no objects: Sluice did not finish.
      const objects = await Promise.all(
        jobs.map(async (j) => {
          const sel = { namespace: TARGET_NS, labelSelector: `jobId=${j.spec.metadata.id}` };
          const cm = await sluice.kube.core.readNamespacedConfigMap({ namespace: TARGET_NS, name: `job-${j.spec.metadata.id}` }).then(
            () => 1,
            () => 0,
          );
          return `cm ${cm} batchJobs ${(await sluice.kube.batch.listNamespacedJob(sel)).items.length} deployments ${(await sluice.kube.apps.listNamespacedDeployment(sel)).items.length}`;
        }),
      );
      lines.push(
        `${name}: gen ${d.metadata.generation} effective ${d.status?.sluice?.effective?.generation} state ${d.status?.state} job ${d.status?.sluice?.job?.id ?? '-'}; ` +
          `jobs ${JSON.stringify(jobs.map((j) => [j.spec.metadata.id, j.status?.state]))} objects ${JSON.stringify(objects)}; ` +
          `pods ${JSON.stringify(pods.map((p) => [p.metadata?.name, p.spec?.nodeName ? 'bound' : 'unbound', p.status?.phase, p.status?.conditions?.find((c) => c.type === 'Ready')?.status]))}`,
      );
    }
    lines.push(`delivery queue: ${JSON.stringify(sluice.runner.queue.inspect())}`);
    return lines.join('\n');
  }

  it('resumes the event source, misses no change, and starts exactly one job per deployment', async () => {
    const viaRest = (name: string) =>
      apiOk(
        sluice,
        `/api/v1/namespaces/${VNS}/deployments`,
        { method: 'POST', body: JSON.stringify(deploymentBody(VNS, name, targetId)) },
        [201, 409],
      );
    const names: string[] = [];
    for (let i = 0; i < 3; i++) await viaRest(`before-${i}`).then(() => names.push(`before-${i}`));

    // Mid-burst: the API server goes away; the REST API answers 503 meanwhile (never 500).
    const restart = cluster.restartApiServer();
    const during = await eventually(
      async () => {
        const res = await sluice.api(`/api/v1/namespaces/${VNS}/deployments`).catch(() => undefined);
        return res && res.status >= 500 ? res.status : undefined;
      },
      20_000,
      'the REST API to notice the API server is away',
    );
    expect(during).toBe(503);
    await restart;

    // The moment it is back, before Sluice's watches have reconnected: straight to the API
    // server (as the operator or kubectl would), then more through the REST API.
    for (let i = 0; i < 3; i++) {
      await sluice.platform.createDeployment(VNS, deploymentBody(VNS, `racing-${i}`, targetId));
      names.push(`racing-${i}`);
    }
    for (let i = 0; i < 3; i++) await viaRest(`after-${i}`).then(() => names.push(`after-${i}`));

    try {
      // kube-controller-manager makes the pods; after an API server restart its informers back
      // off for a while (tens of seconds on a loaded machine) before it creates any.
      for (const name of names) await waitForState(sluice, VNS, name, 'RUNNING', 150_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${await diagnose(names)}`, { cause: err });
    }
    for (const name of names) {
      const d = (await sluice.platform.findDeployment(VNS, name))!;
      const jobs = await jobsOf(sluice, d.spec.metadata.id);
      expect(jobs, `${name}: exactly one job`).toHaveLength(1);
      const pods = await podsOf(sluice, TARGET_NS, d.spec.metadata.id);
      expect(pods.map((p) => p.metadata?.labels?.component).sort(), `${name}: one JobManager, one TaskManager`).toEqual([
        'jobmanager',
        'taskmanager',
      ]);
    }
  }, 300_000);
});
