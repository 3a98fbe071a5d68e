import { HTTP } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAll } from '../../functions/index.js';
import type { SluiceFunction } from '../../shared/runtime/define.js';
import { apiServerEvent } from '../../shared/runtime/events.js';
import { listSubscribed } from '../../shared/runtime/resync.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { exampleText, topSpeedWindowingYaml } from '../support/files.js';

/**
 * The functions driven only by CloudEvents POSTed over HTTP, as Knative's Broker delivers
 * ApiServerSource events: no in-process event source runs. A tiny "broker" routes by the
 * functions' own declared subscriptions (as the generated Triggers do) and, like
 * ApiServerSource, sends every current object as an update event.
 */
describe('functions driven only by CloudEvents over HTTP', () => {
  let sluice: RunningSluice;
  let functions: SluiceFunction[];
  const replies: Record<string, number> = {};

  beforeAll(async () => {
    sluice = await startSluice({ events: false });
    functions = await loadAll();
  });
  afterAll(() => sluice?.stop());

  async function deliverAll(): Promise<void> {
    for (const fn of functions) {
      for (const sub of fn.subscriptions) {
        const verb = sub.verbs.includes('update') ? 'update' : sub.verbs[0]!;
        for await (const object of listSubscribed(sub, sluice.ctx)) {
          const ce = apiServerEvent({
            verb,
            object,
            mode: sub.mode,
            source: 'https://kubernetes.default.svc',
            resource: sub.resource.plural,
          });
          const message = HTTP.binary(ce);
          const res = await fetch(`${sluice.url}/functions/${fn.name}`, {
            method: 'POST',
            headers: message.headers as Record<string, string>,
            body: message.body as string,
          });
          replies[res.status] = (replies[res.status] ?? 0) + 1;
          await res.arrayBuffer();
        }
      }
    }
  }

  it('runs the multitenancy walkthrough from step 7 to RUNNING with pods in the target namespace', async () => {
    expect(
      (await sluice.api('/namespaces/v1/namespaces', { method: 'POST', body: JSON.stringify({ name: 'vvp-namespace-1' }) })).status,
    ).toBe(201);
    const yaml = exampleText('deployment-target.yaml').replace('namespace: default', 'namespace: vvp-namespace-1');
    const t = await sluice.api('/api/v1/namespaces/vvp-namespace-1/deployment-targets', { method: 'POST', yaml });
    const targetId = ((await t.json()) as { metadata: { id: string } }).metadata.id;
    const d = await sluice.api('/api/v1/namespaces/vvp-namespace-1/deployments', {
      method: 'POST',
      yaml: topSpeedWindowingYaml(targetId).replace('TopSpeedWindowing', 'Over HTTP'),
    });
    expect(d.status).toBe(201);

    let state: string | undefined;
    let jobId: string | undefined;
    for (let round = 0; round < 20 && state !== 'RUNNING'; round++) {
      await deliverAll();
      const current = (await (await sluice.api('/api/v1/namespaces/vvp-namespace-1/deployments/Over HTTP')).json()) as {
        status: { state?: string; running?: { jobId: string } };
      };
      state = current.status.state;
      jobId = current.status.running?.jobId;
      if (state !== 'RUNNING') await new Promise((r) => setTimeout(r, 200));
    }
    if (state !== 'RUNNING') {
      const jobs = await (await sluice.api('/api/v1/namespaces/vvp-namespace-1/jobs')).json();
      const pods = await sluice.kube.core.listNamespacedPod({ namespace: 'vvp-jobs-team-1', labelSelector: `jobId=${jobId}` });
      console.error(
        JSON.stringify(jobs),
        JSON.stringify(pods.items.map((p) => [p.metadata?.name, p.status?.phase, p.status?.conditions])),
        JSON.stringify(replies),
      );
    }
    expect(state).toBe('RUNNING');
    const pods = await sluice.kube.core.listNamespacedPod({ namespace: 'vvp-jobs-team-1', labelSelector: `jobId=${jobId}` });
    expect(pods.items).toHaveLength(2);
    // Only 2xx, or 503 (retry later) while the target's namespace did not exist yet.
    expect(Object.keys(replies).filter((status) => status !== '200' && status !== '503')).toEqual([]);
    // Redelivering everything once more changes nothing: still one job for the deployment.
    await deliverAll();
    const jobs = await sluice.api('/api/v1/namespaces/vvp-namespace-1/jobs');
    const items = ((await jobs.json()) as { items: { metadata: { deploymentName: string } }[] }).items.filter(
      (j) => j.metadata.deploymentName === 'Over HTTP',
    );
    expect(items).toHaveLength(1);
  });
});
