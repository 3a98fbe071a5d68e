import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLINK_ANNOTATION } from '../../shared/local/pod-simulator.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { client, eventually, jobPods, tenant } from '../savepoints/support.js';

/**
 * Real Flink 1.20 and 2.x behind Sluice, driven through the REST API in single-process mode:
 * the pod simulator runs the generated JobManager and TaskManager pods as Flink's own Java
 * processes (`sim.sluice.dev/flink: real` on the pods), with the runtime that
 * scripts/fetch-flink.sh caches. Each Flink start costs seconds; the suite takes a few minutes.
 */

const FETCH = fileURLToPath(new URL('../../scripts/fetch-flink.sh', import.meta.url));
const REAL = { metadata: { annotations: { [FLINK_ANNOTATION]: 'real' } } };
const TOP_SPEED = 'org.apache.flink.streaming.examples.windowing.TopSpeedWindowing';
const SLOW = 180_000;

type FlinkJob = { state: string; vertices?: { parallelism: number; status: string }[] };
type Checkpoints = { latest?: { restored?: { external_path?: string; is_savepoint?: boolean } } };

describe.each(['1.20', '2.3'])('real Flink %s', (version) => {
  let sluice: RunningSluice;
  let namespace = '';
  let api: ReturnType<typeof client>;
  const vns = `real-${version.replace('.', '-')}`;
  const dir = mkdtempSync(join(tmpdir(), `sluice-real-flink-${version}-`));

  beforeAll(async () => {
    execFileSync(FETCH, [version], { stdio: ['ignore', 'ignore', 'inherit'] });
    sluice = await startSluice();
    ({ namespace } = await tenant(sluice, vns));
    api = client(sluice, vns);
  }, SLOW);
  afterAll(async () => {
    await sluice?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const body = (name: string, spec: Record<string, unknown> = {}) => ({
    metadata: { name },
    spec: {
      state: 'RUNNING',
      upgradeStrategy: { kind: 'STATEFUL' },
      restoreStrategy: { kind: 'LATEST_SAVEPOINT' },
      deploymentTargetName: 'target',
      maxJobCreationAttempts: 1,
      template: {
        spec: {
          // The operator example's URI: a file of the Flink distribution in the image.
          artifact: {
            kind: 'JAR',
            jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar',
            entryClass: TOP_SPEED,
            flinkVersion: version,
          },
          parallelism: 1,
          resources: { jobmanager: { cpu: 0.5, memory: '1g' }, taskmanager: { cpu: 0.5, memory: '1g' } },
          flinkConfiguration: { 'state.savepoints.dir': `file://${dir}/savepoints` },
          kubernetes: { jobManagerPodTemplate: REAL, taskManagerPodTemplate: REAL },
          ...spec,
        },
      },
    },
  });
  const create = async (name: string, spec?: Record<string, unknown>) => {
    const res = await sluice.api(`/api/v1/namespaces/${vns}/deployments`, { method: 'POST', body: JSON.stringify(body(name, spec)) });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as { metadata: { id: string } };
  };
  /** Flink's own REST API on the job's JobManager pod. */
  const flink = async <T>(jobId: string, path: string): Promise<T | undefined> => {
    const jm = (await jobPods(sluice, namespace, jobId)).find(
      (p) => p.metadata?.labels?.component === 'jobmanager' && p.status?.phase === 'Running',
    );
    if (!jm?.status?.podIP) return undefined;
    const res = await fetch(`http://${jm.status.podIP}:8081${path}`).catch(() => undefined);
    return res?.ok ? ((await res.json()) as T) : undefined;
  };
  const flinkId = (jobId: string) => jobId.replace(/-/g, '');
  const runningJob = (name: string) => api.state(name, 'RUNNING', () => true, SLOW).then((d) => d.status.running!.jobId!);
  const flinkRunning = (jobId: string) =>
    eventually(
      async () => {
        const job = await flink<FlinkJob>(jobId, `/jobs/${flinkId(jobId)}`);
        // Every task running, too: before that, Flink refuses savepoints.
        return job?.state === 'RUNNING' && job.vertices?.length && job.vertices.every((v) => v.status === 'RUNNING') ? job : undefined;
      },
      `Flink job ${jobId} RUNNING`,
      SLOW,
    );

  let created: { metadata: { id: string } };
  let firstSavepoint = '';

  it(
    'runs TopSpeedWindowing: the deployment RUNNING, Flink reporting the job RUNNING',
    async () => {
      created = await create('top-speed');
      const jobId = await runningJob('top-speed');
      const job = await flinkRunning(jobId);
      expect(job.vertices?.map((v) => v.parallelism)).toEqual(job.vertices?.map(() => 1));
    },
    SLOW,
  );

  it(
    'suspends with a real savepoint into the file:// directory; the job stops',
    async () => {
      await api.patch('top-speed', { spec: { state: 'SUSPENDED' } });
      await api.state('top-speed', 'SUSPENDED', () => true, SLOW);
      const [sp] = await api.savepoints(created.metadata.id);
      expect(sp).toMatchObject({ metadata: { origin: 'SUSPEND' }, status: { state: 'COMPLETED' } });
      firstSavepoint = sp!.spec.savepointLocation;
      expect(firstSavepoint).toMatch(new RegExp(`^file:${dir}/savepoints/savepoint-[0-9a-f]{6}-[0-9a-f]{12}$`));
      expect(existsSync(`${firstSavepoint.replace(/^file:/, '')}/_metadata`)).toBe(true);
    },
    SLOW,
  );

  it(
    "resumes from it: Flink's checkpoint statistics show the restored savepoint",
    async () => {
      await api.patch('top-speed', { spec: { state: 'RUNNING' } });
      const jobId = await runningJob('top-speed');
      await flinkRunning(jobId);
      const restored = await eventually(
        async () => (await flink<Checkpoints>(jobId, `/jobs/${flinkId(jobId)}/checkpoints`))?.latest?.restored,
        'restore statistics',
        SLOW,
      );
      expect(restored).toMatchObject({ external_path: firstSavepoint, is_savepoint: true });
    },
    SLOW,
  );

  it(
    'upgrades STATEFUL from parallelism 1 to 2 through a savepoint',
    async () => {
      const before = (await api.get('top-speed')).status.running!.jobId!;
      await api.patch('top-speed', { spec: { template: { spec: { parallelism: 2 } } } });
      const jobId = await eventually(
        async () => {
          const d = await api.get('top-speed');
          return d.status.state === 'RUNNING' && d.status.running?.jobId && d.status.running.jobId !== before
            ? d.status.running.jobId
            : undefined;
        },
        'the upgraded job',
        SLOW,
      );
      const job = await flinkRunning(jobId);
      // The example's source runs with parallelism 1 whatever the job's; the windows and sink follow the job.
      expect(job.vertices?.map((v) => v.parallelism)).toEqual([1, 2]);
      const upgrade = (await api.savepoints(created.metadata.id)).find((s) => s.metadata.jobId === before);
      expect(upgrade).toMatchObject({ status: { state: 'COMPLETED' } });
      const restored = await eventually(
        async () => (await flink<Checkpoints>(jobId, `/jobs/${flinkId(jobId)}/checkpoints`))?.latest?.restored,
        'restore statistics',
        SLOW,
      );
      expect(restored?.external_path).toBe(upgrade!.spec.savepointLocation);
    },
    SLOW,
  );

  it(
    'cancels: CANCELLED, the pods and their processes gone',
    async () => {
      const jobId = (await api.get('top-speed')).status.running!.jobId!;
      await api.patch('top-speed', { spec: { state: 'CANCELLED' } });
      await api.state('top-speed', 'CANCELLED', () => true, SLOW);
      await eventually(async () => ((await jobPods(sluice, namespace, jobId)).length === 0 ? true : undefined), 'the pods deleted', SLOW);
    },
    SLOW,
  );

  it(
    "ends FAILED with Flink's reason when the entry class does not exist",
    async () => {
      await create('missing-class', {
        artifact: {
          kind: 'JAR',
          jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar',
          entryClass: 'org.example.DoesNotExist',
          flinkVersion: version,
        },
      });
      const failed = await api.state('missing-class', 'FAILED', () => true, SLOW);
      expect(JSON.stringify(failed.status.failure)).toMatch(/org\.example\.DoesNotExist/);
    },
    SLOW,
  );
});
