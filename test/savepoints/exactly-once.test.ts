import { HTTP } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import deploymentStep from '../../functions/deploymentStep/index.js';
import { PURPOSE_ANNOTATION, planDeployment } from '../../functions/deploymentStep/logic.js';
import { triggerKey } from '../../functions/deploymentStep/take-savepoint.js';
import { eventFunctions } from '../../functions/index.js';
import { objectName } from '../../shared/model/naming.js';
import { FLINK_DEPLOYMENTS } from '../../shared/kube/resources.js';
import { apiServerEvent } from '../../shared/runtime/events.js';
import type { KubeObject } from '../../shared/runtime/events.js';
import { resync } from '../../shared/runtime/resync.js';
import { flinkJobId } from '../../shared/vvp/flink-resources.js';
import { FlinkRestClient, podIpResolver } from '../../shared/vvp/flink-rest.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { DIR, client, crs, drive, savepointTriggers, tenant } from './support.js';

/**
 * Each savepoint is triggered once per transition: duplicated events, racing instances and a
 * step that died half-way. With the event source off, these tests deliver events themselves
 * and let resyncs (what the periodic PingSource does) drive everything else.
 */
describe('savepoints exactly once', () => {
  let sluice: RunningSluice;
  let namespace = '';
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    sluice = await startSluice({ events: false });
    ({ namespace } = await tenant(sluice, 'team-a', { events: false }));
    api = client(sluice, 'team-a');
  });
  afterAll(() => sluice?.stop());

  /** A RUNNING deployment, then SUSPENDED requested and its patch set applied: the next deploymentStep event takes the savepoint. */
  const readyToSuspend = async (name: string, o: Parameters<typeof api.create>[1] = {}) => {
    const created = await api.create(name, o);
    const running = await drive(
      sluice,
      async () => {
        const d = await api.get(name);
        return d.status?.state === 'RUNNING' ? d : undefined;
      },
      `${name} RUNNING`,
    );
    await api.patch(name, { spec: { state: 'SUSPENDED' } });
    await resync(await eventFunctions.applyPatchSet!(), sluice.ctx);
    const cr = (await crs(sluice).deployments.get(objectName('team-a', name)))!;
    expect(cr.status?.sluice?.effective?.generation).toBe(cr.metadata.generation);
    return { id: created.metadata.id, jobId: running.status.running!.jobId!, cr };
  };

  const suspended = (name: string) =>
    drive(sluice, async () => ((await api.get(name)).status?.state === 'SUSPENDED' ? true : undefined), `${name} SUSPENDED`);

  it('one savepoint when the same CloudEvent is posted twice (and again) to /functions/deploymentStep', async () => {
    const { id, jobId, cr } = await readyToSuspend('duplicated', { flinkVersion: '1.9' });
    const event = apiServerEvent({
      verb: 'update',
      object: cr as unknown as KubeObject,
      mode: 'resource',
      source: 'https://kube.test',
      resource: 'flinkdeployments',
    });
    const message = HTTP.binary(event);
    const post = () =>
      fetch(`${sluice.url}/functions/deploymentStep`, {
        method: 'POST',
        headers: message.headers as Record<string, string>,
        body: message.body as string,
      });
    const replies = await Promise.all([post(), post()]);
    for (const r of replies) expect([200, 503], await r.clone().text()).toContain(r.status);
    const again = await post();
    expect(again.status, await again.clone().text()).toBe(200);
    await suspended('duplicated');
    const savepoints = await api.savepoints(id);
    expect(savepoints).toHaveLength(1);
    expect(savepoints[0]).toMatchObject({ metadata: { jobId, origin: 'SUSPEND' }, status: { state: 'COMPLETED' } });
    expect(await savepointTriggers(sluice, namespace, jobId)).toHaveLength(1);
  });

  it('one savepoint when two instances handle the same event at once (no lock between them)', async () => {
    const { id, jobId, cr } = await readyToSuspend('raced', { jobManager: { 'sim.sluice.dev/savepoint-delay-ms': '800' } });
    const event = {
      mode: 'resource' as const,
      verb: 'update' as const,
      id: 'e-1',
      source: 'test',
      ref: {
        apiVersion: FLINK_DEPLOYMENTS.apiVersion,
        kind: FLINK_DEPLOYMENTS.kind,
        name: cr.metadata.name,
        namespace: cr.metadata.namespace,
      },
      object: cr as unknown as KubeObject,
    };
    const outcomes = await Promise.allSettled([deploymentStep.handle(event, sluice.ctx), deploymentStep.handle(event, sluice.ctx)]);
    for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as Error).name).toBe('Unavailable');
    await suspended('raced');
    expect(await api.savepoints(id)).toHaveLength(1);
    expect(await savepointTriggers(sluice, namespace, jobId)).toHaveLength(1);
  });

  it('resumes a savepoint whose step died after triggering it, before recording it on the Savepoint', async () => {
    const { id, jobId, cr } = await readyToSuspend('interrupted', {
      flinkVersion: '1.9',
      jobManager: { 'sim.sluice.dev/savepoint-delay-ms': '500' },
    });
    const { savepoints, jobs } = crs(sluice);
    // What the dead step did: recorded the savepoint and marked the job...
    const job = (await jobs.get(`team-a.${jobId}`))!;
    const plan = planDeployment(cr, job, new Date().toISOString(), []);
    const create = plan.actions.find((a) => a.type === 'createSavepoint');
    expect(create?.type).toBe('createSavepoint');
    const planned = (create as Extract<typeof create, { type: 'createSavepoint' }>)!.savepoint;
    const purpose = planned.metadata.annotations![PURPOSE_ANNOTATION]!;
    // The dead step held its claim on the attempt from before its writes (as it held the
    // deployment's lock): a live step meanwhile waits instead of triggering on its own.
    await sluice.ctx.store.claim(
      triggerKey(jobId, purpose, 1),
      3_600_000,
      JSON.stringify({ state: 'pending', at: new Date().toISOString() }),
    );
    const stored = await savepoints.create(planned);
    await savepoints.replaceStatus({ ...stored, status: { state: 'STARTED', sluice: { attempt: 1 } } });
    await jobs.replaceStatus({ ...job, status: { ...job.status, state: 'TERMINATING' } });
    // ...triggered stop-with-savepoint and kept Flink's answer only in the coordination store.
    const endpoint = await podIpResolver(sluice.kube)({ namespace, jobId });
    const triggerId = await new FlinkRestClient(endpoint).stopWithSavepoint(flinkJobId(jobId), DIR);
    await sluice.ctx.store.remember(
      triggerKey(jobId, purpose, 1),
      3_600_000,
      JSON.stringify({ state: 'triggered', at: new Date().toISOString(), id: triggerId }),
    );

    // The next event (here: a resync) picks it up where it was: no second trigger.
    await suspended('interrupted');
    const after = (await savepoints.get(planned.metadata.name))!;
    expect(after.status?.state).toBe('COMPLETED');
    expect(after.status?.sluice?.trigger).toMatchObject({ attempt: 1, id: triggerId });
    expect(after.spec.spec.savepointLocation).toMatch(new RegExp(`^${DIR}/savepoint-`));
    expect(await api.savepoints(id)).toHaveLength(1);
    expect(await savepointTriggers(sluice, namespace, jobId)).toHaveLength(1);
  });
});
