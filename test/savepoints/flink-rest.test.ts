import { afterEach, describe, expect, it } from 'vitest';
import { type FlinkStandIn, type SavepointBehaviour, startFlinkStandIn } from '../../shared/local/flink-standin.js';
import {
  FlinkRestClient,
  FlinkRestError,
  FlinkUnreachable,
  describeFailureCause,
  serviceDnsResolver,
} from '../../shared/vvp/flink-rest.js';
import { eventually } from './support.js';

/** The Flink REST client against the stand-in the pod simulator runs for JobManager pods. */
describe('Flink REST client and stand-in', () => {
  const JOB = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const standIns: FlinkStandIn[] = [];
  afterEach(async () => {
    await Promise.all(standIns.splice(0).map((s) => s.close()));
  });

  const start = async (behaviour: SavepointBehaviour = 'ok', onStopped?: (location: string) => void) => {
    const s = await startFlinkStandIn({
      host: '127.0.0.1',
      port: 0,
      jobId: JOB,
      behaviour: () => behaviour,
      delayMs: () => 50,
      ...(onStopped ? { onStopped } : {}),
    });
    standIns.push(s);
    return { standIn: s, flink: new FlinkRestClient(s.url, { timeoutMs: 1000, retries: 1, retryDelayMs: 10 }) };
  };

  it('stops a job with a savepoint: trigger, IN_PROGRESS, COMPLETED with a location; the job FINISHED', async () => {
    let stoppedAt: string | undefined;
    const { flink } = await start('ok', (l) => (stoppedAt = l));
    expect(await flink.jobState(JOB)).toBe('RUNNING');
    const trigger = await flink.stopWithSavepoint(JOB, 's3://b/sp/');
    expect(await flink.savepointStatus(JOB, trigger)).toEqual({ state: 'IN_PROGRESS' });
    const done = await eventually(
      async () => {
        const s = await flink.savepointStatus(JOB, trigger);
        return s.state === 'COMPLETED' ? s : undefined;
      },
      'savepoint completed',
      5000,
    );
    expect(done.location).toMatch(/^s3:\/\/b\/sp\/savepoint-a1b2c3-[0-9a-f]{12}$/);
    expect(stoppedAt).toBe(done.location);
    expect(await flink.jobState(JOB)).toBe('FINISHED');
    // A stopped job cannot be stopped again.
    await expect(flink.stopWithSavepoint(JOB, 's3://b/sp')).rejects.toMatchObject({ name: 'FlinkRestError', status: 409 });
  });

  it('answers a repeated idempotency trigger id with the same operation', async () => {
    const { flink, standIn } = await start('stall');
    const id = 'ffffffffffffffffffffffffffffff01';
    expect(await flink.stopWithSavepoint(JOB, 's3://b', id)).toBe(id);
    expect(await flink.stopWithSavepoint(JOB, 's3://b', id)).toBe(id);
    expect(standIn.triggers).toHaveLength(1);
    expect(await flink.savepointStatus(JOB, id)).toEqual({ state: 'IN_PROGRESS' });
  });

  it('reports a failed savepoint with the first line of its cause; the job keeps running', async () => {
    const { flink } = await start('fail');
    const trigger = await flink.stopWithSavepoint(JOB, 's3://b');
    const failed = await eventually(
      async () => {
        const s = await flink.savepointStatus(JOB, trigger);
        return s.state === 'FAILED' ? s : undefined;
      },
      'savepoint failed',
      5000,
    );
    expect(failed.message).toMatch(/^java\.util\.concurrent\.CompletionException: .*Checkpoint Coordinator is suspending/);
    expect(await flink.jobState(JOB)).toBe('RUNNING');
  });

  it('fails a savepoint without a directory, as Flink does', async () => {
    const { flink } = await start();
    const trigger = await flink.stopWithSavepoint(JOB, '');
    const s = await eventually(
      async () => {
        const r = await flink.savepointStatus(JOB, trigger);
        return r.state === 'FAILED' ? r : undefined;
      },
      'failure',
      5000,
    );
    expect(s.state === 'FAILED' && s.message).toMatch(/No savepoint directory configured/);
  });

  it('tells an unknown trigger or job (404) from an unreachable JobManager', async () => {
    const { flink, standIn } = await start();
    await expect(flink.savepointStatus(JOB, 'deadbeef')).rejects.toBeInstanceOf(FlinkRestError);
    await expect(flink.jobState('00000000000000000000000000000000')).rejects.toMatchObject({ status: 404 });
    await standIn.close();
    await expect(flink.jobState(JOB)).rejects.toBeInstanceOf(FlinkUnreachable);
  });

  it('times out a JobManager that does not answer', async () => {
    const { createServer } = await import('node:net');
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const flink = new FlinkRestClient(`http://127.0.0.1:${(silent.address() as { port: number }).port}`, { timeoutMs: 200, retries: 0 });
      await expect(flink.jobState(JOB)).rejects.toThrow(/no answer within 200 ms/);
    } finally {
      silent.close();
    }
  });

  it('resolves the Service DNS name when asked to', async () => {
    expect(await serviceDnsResolver()({ namespace: 'team-1', jobId: 'abc' })).toBe('http://job-abc-jobmanager.team-1.svc:8081');
    expect(await serviceDnsResolver('cluster.local')({ namespace: 'team-1', jobId: 'abc' })).toBe(
      'http://job-abc-jobmanager.team-1.svc.cluster.local:8081',
    );
    expect(describeFailureCause({ class: 'x.Y', 'stack-trace': '\nx.Y: boom\n\tat z' })).toBe('x.Y: boom');
    expect(describeFailureCause(undefined)).toBe('unknown failure');
  });
});
