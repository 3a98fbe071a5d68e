import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlinkStandIn } from '../../shared/local/flink-standin.js';
import { FLINK_ANNOTATION } from '../../shared/local/pod-simulator.js';
import { FlinkRestClient } from '../../shared/vvp/flink-rest.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { client, eventually, jobPods, tenant } from '../savepoints/support.js';

/**
 * A Job's state from Flink itself, on real Flink 1.20 (the pod simulator runs the pods as
 * Flink's own processes): a job whose code throws shows RESTARTING, then FAILED with the
 * exception; a job cancelled through Flink's REST API is CANCELLED; a TaskManager that exits on
 * start fails each attempt until maxJobCreationAttempts; the Flink UI proxy serves the job's
 * JobManager to its tenant only; the pod simulator's REST stand-in, which the fast tests use,
 * answers every call Sluice makes as the real JobManager does. The failing job is built here
 * from test/flink/jobs/ with javac.
 */

const VERSION = '1.20';
const FETCH = fileURLToPath(new URL('../../scripts/fetch-flink.sh', import.meta.url));
const SOURCES = fileURLToPath(new URL('./jobs', import.meta.url));
const REAL = { metadata: { annotations: { [FLINK_ANNOTATION]: 'real' } } };
const TOP_SPEED = {
  kind: 'JAR',
  jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar',
  entryClass: 'org.apache.flink.streaming.examples.windowing.TopSpeedWindowing',
  flinkVersion: VERSION,
};
const SLOW = 240_000;

type Job = {
  status: {
    state: string;
    started?: { observedFlinkJobStatus?: string; observedFlinkJobRestarts?: number };
    failure?: { reason: string; message: string };
  };
};

/** Compiles the failing job against the cached Flink's flink-dist and packs it as a jar. */
function buildFailingJob(dir: string): string {
  const cache = process.env.SLUICE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sluice');
  const lib = join(cache, 'flink-1.20.5', 'lib');
  const classes = join(dir, 'classes');
  mkdirSync(classes, { recursive: true });
  execFileSync(
    'javac',
    ['--release', '11', '-cp', join(lib, 'flink-dist-1.20.5.jar'), '-d', classes, join(SOURCES, 'org/sluice/test/FailingJob.java')],
    { stdio: 'inherit' },
  );
  const jar = join(dir, 'failing-job.jar');
  execFileSync('jar', ['cf', jar, '-C', classes, '.'], { stdio: 'inherit' });
  return jar;
}

/** The JSON shape of a value: its keys, recursively, with their JSON types (arrays by their first item). */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? [shapeOf(value[0])] : [];
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
  return value === null ? 'null' : typeof value;
}

/** Where the stand-in's shape is not part of the real one: every key it has, real Flink has too, with the same type. */
function notIn(standIn: unknown, real: unknown, at = ''): string[] {
  if (Array.isArray(standIn))
    return Array.isArray(real)
      ? standIn.length && real.length
        ? notIn(standIn[0], real[0], `${at}[0]`)
        : []
      : [`${at}: an array, Flink has ${JSON.stringify(real)}`];
  if (standIn && typeof standIn === 'object') {
    if (!real || typeof real !== 'object' || Array.isArray(real)) return [`${at}: an object, Flink has ${JSON.stringify(real)}`];
    return Object.entries(standIn).flatMap(([k, v]) =>
      k in real ? notIn(v, (real as Record<string, unknown>)[k], `${at}.${k}`) : [`${at}.${k}: not in Flink's answer`],
    );
  }
  return standIn === real || (standIn === 'null' && real !== undefined)
    ? []
    : [`${at}: ${String(standIn)}, Flink has ${JSON.stringify(real)}`];
}

/**
 * The pod simulator's Flink REST stand-in answers every call Sluice makes as this real
 * JobManager does: the same status codes, and no field the real answer lacks.
 */
async function expectStandInAnswersAsFlink(realUrl: string, fid: string, savepointDir: string) {
  const standIn = await startFlinkStandIn({ host: '127.0.0.1', port: 0, jobId: fid, delayMs: () => 200 });
  try {
    const call = async (base: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
      });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    const both = async (method: string, path: string, body?: unknown) => {
      const [real, fake] = await Promise.all([call(realUrl, method, path, body), call(standIn.url, method, path, body)]);
      expect(fake.status, `${method} ${path}: status`).toBe(real.status);
      const [realShape, fakeShape] = [shapeOf(real.body), shapeOf(fake.body)];
      expect(
        notIn(fakeShape, realShape),
        `${method} ${path}: the stand-in's answer ${JSON.stringify(fakeShape)} against Flink's ${JSON.stringify(realShape)}`,
      ).toEqual([]);
    };
    for (const path of [
      '/overview',
      '/jobs',
      '/jobs/overview',
      `/jobs/${fid}`,
      `/jobs/${fid}/exceptions`,
      `/jobs/${fid}/metrics?get=numRestarts`,
      `/jobs/${'0'.repeat(32)}`,
    ])
      await both('GET', path);
    // A savepoint, as Sluice triggers one (its own trigger id, so that a retry is the same request), and its result.
    const triggerId = randomBytes(16).toString('hex');
    await both('POST', `/jobs/${fid}/savepoints`, { 'target-directory': savepointDir, 'cancel-job': false, triggerId });
    for (const [base, who] of [
      [realUrl, 'Flink'],
      [standIn.url, 'the stand-in'],
    ] as const) {
      let last: unknown;
      await eventually(
        async () => {
          last = (await call(base, 'GET', `/jobs/${fid}/savepoints/${triggerId}`)).body;
          return (last as { status?: { id?: string } }).status?.id === 'COMPLETED' ? true : undefined;
        },
        `the savepoint COMPLETED in ${who}`,
        60_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; it last answered ${JSON.stringify(last)}`);
      });
    }
    await both('GET', `/jobs/${fid}/savepoints/${triggerId}`);
    await both('GET', `/jobs/${fid}/savepoints/${'0'.repeat(32)}`);
  } finally {
    await standIn.close();
  }
}

describe(`a job's state from real Flink ${VERSION}`, () => {
  let sluice: RunningSluice;
  let namespace = '';
  let api: ReturnType<typeof client>;
  let failingJar = '';
  const vns = 'flink-state';
  const dir = mkdtempSync(join(tmpdir(), 'sluice-job-state-'));

  beforeAll(async () => {
    execFileSync(FETCH, [VERSION], { stdio: ['ignore', 'ignore', 'inherit'] });
    failingJar = buildFailingJob(dir);
    sluice = await startSluice();
    ({ namespace } = await tenant(sluice, vns));
    await tenant(sluice, 'flink-state-other');
    api = client(sluice, vns);
  }, SLOW);
  afterAll(async () => {
    await sluice?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const create = async (name: string, spec: Record<string, unknown>, maxJobCreationAttempts = 2) => {
    const body = {
      metadata: { name },
      spec: {
        state: 'RUNNING',
        deploymentTargetName: 'target',
        maxJobCreationAttempts,
        template: {
          spec: {
            artifact: TOP_SPEED,
            parallelism: 1,
            resources: { jobmanager: { cpu: 0.5, memory: '1g' }, taskmanager: { cpu: 0.5, memory: '1g' } },
            kubernetes: { jobManagerPodTemplate: REAL, taskManagerPodTemplate: REAL },
            ...spec,
          },
        },
      },
    };
    const res = await sluice.api(`/api/v1/namespaces/${vns}/deployments`, { method: 'POST', body: JSON.stringify(body) });
    expect(res.status, await res.clone().text()).toBe(201);
  };
  const job = async (id: string) => (await (await sluice.api(`/api/v1/namespaces/${vns}/jobs/${id}`)).json()) as Job;
  const jobIdOf = (name: string) => eventually(async () => (await api.get(name)).status.running?.jobId, `a job of ${name}`, SLOW);

  it(
    'a job whose code throws shows RESTARTING, then FAILED with the exception; a failure in Flink takes no new attempt',
    async () => {
      await create('failing', {
        artifact: { kind: 'JAR', jarUri: `file://${failingJar}`, entryClass: 'org.sluice.test.FailingJob', flinkVersion: VERSION },
        flinkConfiguration: {
          'restart-strategy.type': 'fixed-delay',
          'restart-strategy.fixed-delay.attempts': '2',
          'restart-strategy.fixed-delay.delay': '6 s',
        },
      });
      const jobId = await jobIdOf('failing');
      const seen = new Set<string>();
      const failed = await eventually(
        async () => {
          const j = await job(jobId);
          if (j.status.started?.observedFlinkJobStatus) seen.add(j.status.started.observedFlinkJobStatus);
          const d = await api.get('failing');
          if (d.status.state === 'TRANSITIONING' && j.status.started?.observedFlinkJobStatus === 'RESTARTING')
            seen.add('deployment TRANSITIONING while RESTARTING');
          return d.status.state === 'FAILED' ? { d, j } : undefined;
        },
        'the failing deployment FAILED',
        SLOW,
      );
      expect([...seen]).toEqual(expect.arrayContaining(['RUNNING', 'RESTARTING', 'FAILED', 'deployment TRANSITIONING while RESTARTING']));
      expect(failed.j.status).toMatchObject({
        state: 'FAILED',
        failure: { reason: 'FlinkJobFailed' },
      });
      // Flink's numRestarts metric comes from its metric fetcher, which may lag the job's FAILED
      // state by an update interval: at least the restart seen, at most the two allowed.
      expect(failed.j.status.started?.observedFlinkJobRestarts).toBeGreaterThanOrEqual(1);
      expect(failed.j.status.started?.observedFlinkJobRestarts).toBeLessThanOrEqual(2);
      expect(failed.j.status.failure!.message).toMatch(/IllegalStateException: sluice test job: failing on purpose after 3 seconds/);
      expect(failed.d.status.failure?.message).toMatch(/failing on purpose/);
      expect(failed.d.status.running?.jobId).toBe(jobId); // no second attempt
      await eventually(
        async () => ((await jobPods(sluice, namespace, jobId)).length === 0 ? true : undefined),
        "the failed job's pods deleted",
        SLOW,
      );
    },
    SLOW,
  );

  it(
    "the Flink UI proxy serves the job's JobManager to its tenant only; cancelled through Flink's REST API, the deployment is CANCELLED",
    async () => {
      await create('cancel-in-flink', {});
      const d = await api.state('cancel-in-flink', 'RUNNING', () => true, SLOW);
      const jobId = d.status.running!.jobId!;
      const fid = jobId.replace(/-/g, '');
      const ui = (path: string, token?: string) =>
        sluice.api(`/flink-ui/v1/namespaces/${vns}/jobs/${jobId}/${path}`, token ? { token } : {});
      const overview = await ui('overview');
      expect(overview.status).toBe(200);
      expect(await overview.json()).toMatchObject({ 'jobs-running': 1, 'flink-version': '1.20.5' });
      expect(await (await ui(`jobs/${fid}`)).json()).toMatchObject({ jid: fid, state: 'RUNNING' });
      const other = await sluice.api('/apitokens/v1/namespaces/flink-state-other/apitokens', {
        method: 'POST',
        body: JSON.stringify({ name: 'namespaces/flink-state-other/apitokens/owner', role: 'owner' }),
      });
      const otherToken = ((await other.json()) as { apiToken: { secret: string } }).apiToken.secret;
      expect((await ui('overview', otherToken)).status).toBe(404);

      const jm = (await jobPods(sluice, namespace, jobId)).find((p) => p.metadata?.labels?.component === 'jobmanager');
      await expectStandInAnswersAsFlink(`http://${jm!.status!.podIP}:8081`, fid, `file://${dir}/conformance`);
      await new FlinkRestClient(`http://${jm!.status!.podIP}:8081`).cancel(fid);
      const cancelled = await api.state('cancel-in-flink', 'CANCELLED', () => true, SLOW);
      expect(cancelled.spec.state).toBe('RUNNING'); // the user's wish is unchanged: Flink's word is shown
      expect((await job(jobId)).status).toMatchObject({ state: 'TERMINATED', started: { observedFlinkJobStatus: 'CANCELED' } });
      await eventually(
        async () => ((await jobPods(sluice, namespace, jobId)).length === 0 ? true : undefined),
        "the cancelled job's pods deleted",
        SLOW,
      );
    },
    SLOW,
  );

  it(
    'a TaskManager that exits on start fails each attempt; FAILED after maxJobCreationAttempts',
    async () => {
      // Too little memory for Flink's TaskManager: it exits while starting, and Kubernetes restarts it in a loop.
      await create('tm-crash', { flinkConfiguration: { 'taskmanager.memory.process.size': '64m' } });
      const failed = await api.state('tm-crash', 'FAILED', () => true, SLOW);
      expect(failed.status.failure?.message).toMatch(/failed after 2 attempt\(s\): CrashLoopBackOff: TaskManager pod .* is crash-looping/);
    },
    SLOW,
  );
});
