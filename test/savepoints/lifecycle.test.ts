import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { DIR, client, crs, eventually, jobManagerArgs, jobPods, savepointTriggers, tenant } from './support.js';

/**
 * SUSPENDED and STATEFUL upgrades against the real API server and Redis, with the pod
 * simulator's Flink REST stand-ins answering on the JobManager pods' (loopback) IPs.
 */
describe('savepoints in the deployment lifecycle', () => {
  let sluice: RunningSluice;
  let namespace = '';
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    sluice = await startSluice();
    ({ namespace } = await tenant(sluice, 'team-a'));
    api = client(sluice, 'team-a');
  });
  afterAll(() => sluice?.stop());

  const running = async (name: string) => (await api.state(name, 'RUNNING')).status.running!.jobId!;

  it('suspends with a savepoint (SUSPENDED, a COMPLETED SUSPEND savepoint), then resumes from it', async () => {
    const created = await api.create('suspender', { flinkVersion: '1.9' });
    const jobId = await running('suspender');
    const jm = (await jobPods(sluice, namespace, jobId)).find((p) => p.metadata?.labels?.component === 'jobmanager')!;
    expect(jm.status?.podIP).toMatch(/^127\.0\.\d+\.\d+$/);

    await api.patch('suspender', { spec: { state: 'SUSPENDED' } });
    const suspended = await api.state('suspender', 'SUSPENDED');
    expect(suspended.status.running).toBeUndefined();
    const [sp, ...more] = await api.savepoints(created.metadata.id);
    expect(more).toEqual([]);
    expect(sp).toMatchObject({
      kind: 'Savepoint',
      metadata: { namespace: 'team-a', deploymentId: created.metadata.id, jobId, origin: 'SUSPEND' },
      status: { state: 'COMPLETED' },
    });
    expect(sp!.spec.savepointLocation).toMatch(new RegExp(`^${DIR}/savepoint-[0-9a-f]{6}-[0-9a-f]{12}$`));
    expect(await api.savepoint(sp!.metadata.id)).toEqual(sp);
    // Exactly one stop-with-savepoint, and the job's pods are gone; the Job is TERMINATED.
    expect(await savepointTriggers(sluice, namespace, jobId)).toHaveLength(1);
    await eventually(async () => ((await jobPods(sluice, namespace, jobId)).length === 0 ? true : undefined), 'suspended job pods removed');
    expect((await api.job(jobId)).status.state).toBe('TERMINATED');

    await api.patch('suspender', { spec: { state: 'RUNNING' } });
    const resumed = await running('suspender');
    expect(resumed).not.toBe(jobId);
    expect((await api.job(resumed)).spec).toMatchObject({ savepointLocation: sp!.spec.savepointLocation, allowNonRestoredState: false });
    const args = await jobManagerArgs(sluice, namespace, resumed);
    expect(args.slice(args.indexOf('--fromSavepoint'), args.indexOf('--fromSavepoint') + 2)).toEqual([
      '--fromSavepoint',
      sp!.spec.savepointLocation,
    ]);
    expect(args).not.toContain('--allowNonRestoredState');
  });

  it('upgrades STATEFUL: savepoint, stop, the new job restores from it (with allowNonRestoredState)', async () => {
    const created = await api.create('upgrader', { restore: { kind: 'LATEST_STATE', allowNonRestoredState: true } });
    const oldJob = await running('upgrader');
    await api.patch('upgrader', { spec: { template: { spec: { parallelism: 2 } } } });
    const newJob = (await api.state('upgrader', 'RUNNING', (d) => d.status.running?.jobId !== oldJob)).status.running!.jobId!;
    const sps = await api.savepoints(created.metadata.id);
    expect(sps).toHaveLength(1);
    expect(sps[0]).toMatchObject({ metadata: { jobId: oldJob, origin: 'SUSPEND_AND_UPGRADE' }, status: { state: 'COMPLETED' } });
    expect((await api.job(newJob)).spec).toMatchObject({ savepointLocation: sps[0]!.spec.savepointLocation, allowNonRestoredState: true });
    const args = await jobManagerArgs(sluice, namespace, newJob);
    expect(args).toEqual(expect.arrayContaining(['--fromSavepoint', sps[0]!.spec.savepointLocation, '--allowNonRestoredState']));
    expect((await jobPods(sluice, namespace, newJob)).filter((p) => p.metadata?.labels?.component === 'taskmanager')).toHaveLength(2);
    await eventually(async () => ((await jobPods(sluice, namespace, oldJob)).length === 0 ? true : undefined), 'old job pods removed');
    expect(await savepointTriggers(sluice, namespace, oldJob)).toHaveLength(1);
  });

  it('a failing savepoint: FAILED with the reason after maxSavepointCreationAttempts; the job keeps running', async () => {
    const created = await api.create('failing', { jobManager: { 'sim.sluice.dev/savepoint': 'fail' }, maxSavepointCreationAttempts: 2 });
    const jobId = await running('failing');
    await api.patch('failing', { spec: { state: 'SUSPENDED' } });
    const failed = await api.state('failing', 'FAILED');
    expect(failed.status.failure?.reason).toBe('SavepointFailed');
    expect(failed.status.failure?.message).toMatch(
      /failed after 2 attempt\(s\).*Checkpoint Coordinator is suspending.*the job keeps running/,
    );
    expect(failed.status.running?.jobId).toBe(jobId);
    const [sp] = await api.savepoints(created.metadata.id);
    expect(sp).toMatchObject({
      metadata: { origin: 'SUSPEND' },
      spec: { savepointLocation: DIR },
      status: { state: 'FAILED', failure: { reason: 'SavepointFailed' } },
    });
    // No data loss: the job's pods are all still there and running; the Job is STARTED again.
    const pods = await jobPods(sluice, namespace, jobId);
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp)).toBe(true);
    await eventually(async () => ((await api.job(jobId)).status.state === 'STARTED' ? true : undefined), 'job STARTED again');
    expect(await savepointTriggers(sluice, namespace, jobId)).toHaveLength(2);
    // Nothing more happens for this change; a new one (back to RUNNING) keeps the job.
    await new Promise((r) => setTimeout(r, 500));
    expect(await savepointTriggers(sluice, namespace, jobId)).toHaveLength(2);
    await api.patch('failing', { spec: { state: 'RUNNING' } });
    expect((await api.state('failing', 'RUNNING')).status.running?.jobId).toBe(jobId);
  });

  it('a stalled savepoint: each attempt times out, is retried, then FAILED; the job keeps running', async () => {
    const created = await api.create('stalling', {
      jobManager: { 'sim.sluice.dev/savepoint': 'stall' },
      maxSavepointCreationAttempts: 2,
      flinkConfiguration: { 'state.savepoints.dir': DIR, 'execution.checkpointing.timeout': '1 s' },
    });
    const jobId = await running('stalling');
    await api.patch('stalling', { spec: { state: 'SUSPENDED' } });
    // While it stalls the deployment is TRANSITIONING and the savepoint STARTED.
    await api.state('stalling', 'TRANSITIONING');
    expect((await api.savepoints(created.metadata.id))[0]?.status.state).toBe('STARTED');
    const failed = await api.state('stalling', 'FAILED', () => true, 40_000);
    expect(failed.status.failure?.message).toMatch(/failed after 2 attempt\(s\); the last: attempt 2 did not complete within 2000 ms/);
    expect(await savepointTriggers(sluice, namespace, jobId)).toHaveLength(2);
    const stored = await crs(sluice).savepoints.get(`team-a.${(await api.savepoints(created.metadata.id))[0]!.metadata.id}`);
    expect(stored?.status?.sluice?.failures?.map((f) => f.reason)).toEqual(['SavepointTimeout', 'SavepointTimeout']);
    expect((await jobPods(sluice, namespace, jobId)).every((p) => p.status?.phase === 'Running')).toBe(true);
  });

  it('without a savepoint directory: FAILED, naming the key to set; the job keeps running', async () => {
    await api.create('no-dir', { flinkConfiguration: {} });
    const jobId = await running('no-dir');
    await api.patch('no-dir', { spec: { state: 'SUSPENDED' } });
    const failed = await api.state('no-dir', 'FAILED');
    expect(failed.status.failure).toMatchObject({
      reason: 'SavepointDirectoryMissing',
      message: expect.stringContaining('state.savepoints.dir'),
    });
    expect(await jobPods(sluice, namespace, jobId)).toHaveLength(2);
    // Setting the directory is a change: the suspend now succeeds.
    await api.patch('no-dir', { spec: { template: { spec: { flinkConfiguration: { 'state.savepoints.dir': DIR } } } } });
    await api.state('no-dir', 'SUSPENDED');
  });

  it('CANCELLED stops without a savepoint', async () => {
    const created = await api.create('canceller');
    const jobId = await running('canceller');
    await api.patch('canceller', { spec: { state: 'CANCELLED' } });
    await api.state('canceller', 'CANCELLED');
    expect(await api.savepoints(created.metadata.id)).toEqual([]);
    expect(await savepointTriggers(sluice, namespace, jobId)).toHaveLength(0);
  });
});
