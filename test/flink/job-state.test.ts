import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLINK_ANNOTATION } from '../../shared/local/pod-simulator.js';
import { FlinkRestClient } from '../../shared/vvp/flink-rest.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { client, eventually, jobPods, tenant } from '../savepoints/support.js';

/**
 * A Job's state from Flink itself, on real Flink 1.20 (the pod simulator runs the pods as
 * Flink's own processes): a job whose code throws shows RESTARTING, then FAILED with the
 * exception; a job cancelled through Flink's REST API is CANCELLED; a TaskManager that exits on
 * start fails each attempt until maxJobCreationAttempts; the Flink UI proxy serves the job's
 * JobManager to its tenant only. The failing job is built here from test/flink/jobs/ with javac.
 */

const VERSION = '1.20';
const FETCH = fileURLToPath(new URL('../../scripts/fetch-flink.sh', import.meta.url));
const SOURCES = fileURLToPath(new URL('./jobs', import.meta.url));
const REAL = { metadata: { annotations: { [FLINK_ANNOTATION]: 'real' } } };
const TOP_SPEED = { kind: 'JAR', jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar', entryClass: 'org.apache.flink.streaming.examples.windowing.TopSpeedWindowing', flinkVersion: VERSION };
const SLOW = 240_000;

type Job = { status: { state: string; started?: { observedFlinkJobStatus?: string; observedFlinkJobRestarts?: number }; failure?: { reason: string; message: string } } };

/** Compiles the failing job against the cached Flink's flink-dist and packs it as a jar. */
function buildFailingJob(dir: string): string {
  const cache = process.env.SLUICE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sluice');
  const lib = join(cache, 'flink-1.20.5', 'lib');
  const classes = join(dir, 'classes');
  mkdirSync(classes, { recursive: true });
  execFileSync('javac', ['--release', '11', '-cp', join(lib, 'flink-dist-1.20.5.jar'), '-d', classes, join(SOURCES, 'org/sluice/test/FailingJob.java')], { stdio: 'inherit' });
  const jar = join(dir, 'failing-job.jar');
  execFileSync('jar', ['cf', jar, '-C', classes, '.'], { stdio: 'inherit' });
  return jar;
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

  it('a job whose code throws shows RESTARTING, then FAILED with the exception; a failure in Flink takes no new attempt', async () => {
    await create('failing', {
      artifact: { kind: 'JAR', jarUri: `file://${failingJar}`, entryClass: 'org.sluice.test.FailingJob', flinkVersion: VERSION },
      flinkConfiguration: { 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.attempts': '2', 'restart-strategy.fixed-delay.delay': '6 s' },
    });
    const jobId = await jobIdOf('failing');
    const seen = new Set<string>();
    const failed = await eventually(async () => {
      const j = await job(jobId);
      if (j.status.started?.observedFlinkJobStatus) seen.add(j.status.started.observedFlinkJobStatus);
      const d = await api.get('failing');
      if (d.status.state === 'TRANSITIONING' && j.status.started?.observedFlinkJobStatus === 'RESTARTING') seen.add('deployment TRANSITIONING while RESTARTING');
      return d.status.state === 'FAILED' ? { d, j } : undefined;
    }, 'the failing deployment FAILED', SLOW);
    expect([...seen]).toEqual(expect.arrayContaining(['RUNNING', 'RESTARTING', 'FAILED', 'deployment TRANSITIONING while RESTARTING']));
    expect(failed.j.status).toMatchObject({ state: 'FAILED', failure: { reason: 'FlinkJobFailed' }, started: { observedFlinkJobRestarts: 2 } });
    expect(failed.j.status.failure!.message).toMatch(/IllegalStateException: sluice test job: failing on purpose after 3 seconds/);
    expect(failed.d.status.failure?.message).toMatch(/failing on purpose/);
    expect(failed.d.status.running?.jobId).toBe(jobId); // no second attempt
    await eventually(async () => ((await jobPods(sluice, namespace, jobId)).length === 0 ? true : undefined), 'the failed job\'s pods deleted', SLOW);
  }, SLOW);

  it("the Flink UI proxy serves the job's JobManager to its tenant only; cancelled through Flink's REST API, the deployment is CANCELLED", async () => {
    await create('cancel-in-flink', {});
    const d = await api.state('cancel-in-flink', 'RUNNING', () => true, SLOW);
    const jobId = d.status.running!.jobId!;
    const fid = jobId.replace(/-/g, '');
    const ui = (path: string, token?: string) => sluice.api(`/flink-ui/v1/namespaces/${vns}/jobs/${jobId}/${path}`, token ? { token } : {});
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
    await new FlinkRestClient(`http://${jm!.status!.podIP}:8081`).cancel(fid);
    const cancelled = await api.state('cancel-in-flink', 'CANCELLED', () => true, SLOW);
    expect(cancelled.spec.state).toBe('RUNNING'); // the user's wish is unchanged: Flink's word is shown
    expect((await job(jobId)).status).toMatchObject({ state: 'TERMINATED', started: { observedFlinkJobStatus: 'CANCELED' } });
    await eventually(async () => ((await jobPods(sluice, namespace, jobId)).length === 0 ? true : undefined), 'the cancelled job\'s pods deleted', SLOW);
  }, SLOW);

  it('a TaskManager that exits on start fails each attempt; FAILED after maxJobCreationAttempts', async () => {
    // Too little memory for Flink's TaskManager: it exits while starting, and Kubernetes restarts it in a loop.
    await create('tm-crash', { flinkConfiguration: { 'taskmanager.memory.process.size': '64m' } });
    const failed = await api.state('tm-crash', 'FAILED', () => true, SLOW);
    expect(failed.status.failure?.message).toMatch(/failed after 2 attempt\(s\): CrashLoopBackOff: TaskManager pod .* is crash-looping/);
  }, SLOW);
});
