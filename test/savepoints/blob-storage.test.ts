import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { client, tenant } from './support.js';

const BASE = 's3://platform-bucket/sluice';

/** With the platform's blob storage set, a Deployment needs no storage configuration of its own. */
describe('universal blob storage', () => {
  let sluice: RunningSluice;
  const vns = 'blob-a';

  beforeAll(async () => {
    sluice = await startSluice({ blobStorageUri: BASE });
    await tenant(sluice, vns);
  });
  afterAll(() => sluice?.stop());

  it('suspends a deployment without state.savepoints.dir into its own directory, and runs its job with its checkpoint and HA directories', async () => {
    const api = client(sluice, vns);
    const created = await api.create('plain', { flinkConfiguration: {} });
    const running = await api.state('plain', 'RUNNING');
    const root = `${BASE}/namespaces/${vns}/deployments/${created.metadata.id}`;
    const job = (await api.job(running.status.running!.jobId!)) as unknown as { spec: { flinkConfiguration: Record<string, string> } };
    expect(job.spec.flinkConfiguration).toMatchObject({
      'state.savepoints.dir': `${root}/savepoints`,
      'state.checkpoints.dir': `${root}/checkpoints`,
      'high-availability.storageDir': `${root}/ha`,
    });
    // The Deployment itself is as the user wrote it.
    expect((await api.get('plain')) as unknown as { spec: { template: { spec: { flinkConfiguration?: object } } } }).toMatchObject({
      spec: { template: { spec: { flinkConfiguration: {} } } },
    });

    const onRequest = await sluice.api(`/api/v1/namespaces/${vns}/savepoints`, {
      method: 'POST',
      body: JSON.stringify({ metadata: { deploymentId: created.metadata.id } }),
    });
    expect(onRequest.status, await onRequest.clone().text()).toBe(201);

    await api.patch('plain', { spec: { state: 'SUSPENDED' } });
    await api.state('plain', 'SUSPENDED');
    const suspend = (await api.savepoints(created.metadata.id)).find((s) => s.metadata.origin === 'SUSPEND');
    expect(suspend).toMatchObject({ status: { state: 'COMPLETED' } });
    expect(suspend!.spec.savepointLocation.startsWith(`${root}/savepoints`)).toBe(true);
  });

  it("a deployment's own directory wins", async () => {
    const api = client(sluice, vns);
    await api.create('own', { flinkConfiguration: { 'state.savepoints.dir': 's3://mine/savepoints' } });
    const running = await api.state('own', 'RUNNING');
    const job = (await api.job(running.status.running!.jobId!)) as unknown as { spec: { flinkConfiguration: Record<string, string> } };
    expect(job.spec.flinkConfiguration['state.savepoints.dir']).toBe('s3://mine/savepoints');
    expect(job.spec.flinkConfiguration['state.checkpoints.dir']).toMatch(
      /^s3:\/\/platform-bucket\/sluice\/namespaces\/blob-a\/deployments\/[0-9a-f-]{36}\/checkpoints$/,
    );
  });
});
