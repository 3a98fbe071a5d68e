import type { V1Pod } from '@kubernetes/client-node';
import { HTTP } from 'cloudevents';
import { apiServerEvent } from '../../shared/runtime/events.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../bed/env.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { exampleText, topSpeedWindowingYaml } from '../support/files.js';

type Dep = { metadata: { id: string; resourceVersion: number }; status: { state?: string; running?: { jobId?: string } } };

describe('the multitenancy walkthrough (steps 7–11) in single-process mode: pods, status, isolation', () => {
  let sluice: RunningSluice;
  let targetId = '';
  const tokens: Record<string, string> = {};
  const ns1 = 'vvp-namespace-1';

  beforeAll(async () => {
    sluice = await startSluice();
    for (const [vns, team] of [
      [ns1, 'vvp-jobs-team-1'],
      ['vvp-namespace-2', 'vvp-jobs-team-2'],
    ] as const) {
      expect(
        (await sluice.api('/namespaces/v1/namespaces', { method: 'POST', body: JSON.stringify({ name: `namespaces/${vns}` }) })).status,
      ).toBe(201);
      const tok = await sluice.api(`/apitokens/v1/namespaces/${vns}/apitokens`, {
        method: 'POST',
        body: JSON.stringify({ name: `namespaces/${vns}/apitokens/owner`, role: 'owner' }),
      });
      tokens[vns] = ((await tok.json()) as { apiToken: { secret: string } }).apiToken.secret;
      const yaml = exampleText('deployment-target.yaml')
        .replace('namespace: default', `namespace: ${vns}`)
        .replaceAll('vvp-jobs-team-1', team);
      const t = await sluice.api(`/api/v1/namespaces/${vns}/deployment-targets`, { method: 'POST', yaml, token: tokens[vns] });
      expect(t.status, await t.clone().text()).toBe(201);
      if (vns === ns1) targetId = ((await t.json()) as { metadata: { id: string } }).metadata.id;
    }
  });
  afterAll(() => sluice?.stop());

  const get = async (name: string, token = tokens[ns1]) =>
    (await (await sluice.api(`/api/v1/namespaces/${ns1}/deployments/${name}`, { token })).json()) as Dep;
  const jobPods = async (jobId: string) =>
    (await sluice.kube.core.listNamespacedPod({ namespace: 'vvp-jobs-team-1', labelSelector: `jobId=${jobId}` })).items as V1Pod[];

  it("runs TopSpeedWindowing: pods in vvp-jobs-team-1 with VVP's job pod labels, deployment RUNNING", async () => {
    const yaml = topSpeedWindowingYaml(targetId);
    const res = await sluice.api(`/api/v1/namespaces/${ns1}/deployments`, { method: 'POST', yaml, token: tokens[ns1] });
    expect(res.status, await res.clone().text()).toBe(201);
    const running = await eventually(
      async () => {
        const d = await get('TopSpeedWindowing');
        return d.status?.state === 'RUNNING' ? d : undefined;
      },
      20_000,
      'deployment RUNNING',
    );
    const jobId = running.status.running!.jobId!;
    const pods = await jobPods(jobId);
    expect(pods.map((p) => p.metadata!.name).sort()).toEqual([
      expect.stringMatching(new RegExp(`^job-${jobId}-jobmanager-[a-z0-9]{5}$`)),
      // VVP's pod names: the ReplicaSet hash and suffix are cut to fit 63 characters.
      expect.stringMatching(new RegExp(`^job-${jobId}-taskmanager-[a-z0-9]{10}$`)),
    ]);
    for (const pod of pods) {
      expect(pod.metadata!.labels).toMatchObject({
        app: 'flink-job',
        system: 'ververica-platform',
        vvpNamespace: ns1,
        deploymentId: running.metadata.id,
        deploymentName: 'topspeedwindowing',
        jobId,
      });
      expect(pod.spec!.containers[0]!.image).toBe('registry.platform.data-artisans.net/v2.0/flink:1.9.1-stream1-scala_2.12');
    }
    const jobs = await sluice.api(`/api/v1/namespaces/${ns1}/jobs?deploymentId=${running.metadata.id}`, { token: tokens[ns1] });
    expect(((await jobs.json()) as { items: { metadata: { id: string }; status: { state: string } }[] }).items).toEqual([
      expect.objectContaining({ metadata: expect.objectContaining({ id: jobId }), status: expect.objectContaining({ state: 'STARTED' }) }),
    ]);
  });

  it("keeps team 1's deployment invisible to team 2, which cannot deploy to team 1's target", async () => {
    const list = await sluice.api('/api/v1/namespaces/vvp-namespace-2/deployments', { token: tokens['vvp-namespace-2'] });
    expect(((await list.json()) as { items: unknown[] }).items).toEqual([]);
    for (const path of [
      `/api/v1/namespaces/${ns1}/deployments`,
      `/api/v1/namespaces/${ns1}/deployments/TopSpeedWindowing`,
      `/api/v1/namespaces/${ns1}/deployment-targets`,
    ]) {
      const res = await sluice.api(path, { token: tokens['vvp-namespace-2'] });
      expect(res.status, path).toBe(404);
    }
    const yaml = topSpeedWindowingYaml(targetId).replace('namespace: vvp-namespace-1', 'namespace: vvp-namespace-2');
    const res = await sluice.api('/api/v1/namespaces/vvp-namespace-2/deployments', {
      method: 'POST',
      yaml,
      token: tokens['vvp-namespace-2'],
    });
    expect(res.status).toBe(422);
  });

  it('upgrades on a template change (new job, old pods gone), then suspends and cancels', async () => {
    const before = await get('TopSpeedWindowing');
    const oldJob = before.status.running!.jobId!;
    const patch = await sluice.api(`/api/v1/namespaces/${ns1}/deployments/TopSpeedWindowing`, {
      method: 'PATCH',
      token: tokens[ns1],
      // A savepoints directory: SUSPENDED below takes a savepoint first.
      body: JSON.stringify({
        spec: { template: { spec: { parallelism: 2, flinkConfiguration: { 'state.savepoints.dir': 'file:///tmp/savepoints' } } } },
      }),
    });
    expect(patch.status, await patch.clone().text()).toBe(200);
    const upgraded = await eventually(
      async () => {
        const d = await get('TopSpeedWindowing');
        return d.status.state === 'RUNNING' && d.status.running?.jobId !== oldJob ? d : undefined;
      },
      20_000,
      'upgraded job RUNNING',
    );
    expect((await jobPods(upgraded.status.running!.jobId!)).filter((p) => p.metadata?.labels?.component === 'taskmanager')).toHaveLength(2);
    await eventually(async () => ((await jobPods(oldJob)).length === 0 ? true : undefined), 20_000, 'old job pods removed');

    for (const state of ['SUSPENDED', 'CANCELLED'] as const) {
      const r = await sluice.api(`/api/v1/namespaces/${ns1}/deployments/TopSpeedWindowing`, {
        method: 'PATCH',
        token: tokens[ns1],
        body: JSON.stringify({ spec: { state } }),
      });
      expect(r.status).toBe(200);
      await eventually(
        async () => ((await get('TopSpeedWindowing')).status.state === state ? true : undefined),
        20_000,
        `deployment ${state}`,
      );
    }
    await eventually(
      async () => ((await jobPods(upgraded.status.running!.jobId!)).length === 0 ? true : undefined),
      20_000,
      'pods removed after cancel',
    );
  });

  it('reaches FAILED after maxJobCreationAttempts when the pods fail', async () => {
    const yaml = topSpeedWindowingYaml(targetId)
      .replace('name: TopSpeedWindowing', 'name: Failing Job')
      .replace('  template:', '  maxJobCreationAttempts: 2\n  template:')
      .replace(
        '      parallelism: 1',
        '      parallelism: 1\n      kubernetes:\n        jobManagerPodTemplate:\n          metadata:\n            annotations:\n              sim.sluice.dev/outcome: fail',
      );
    const res = await sluice.api(`/api/v1/namespaces/${ns1}/deployments`, { method: 'POST', yaml, token: tokens[ns1] });
    expect(res.status, await res.clone().text()).toBe(201);
    const failed = await eventually(
      async () => {
        const d = (await get('Failing Job')) as Dep & { status: { failure?: { message: string } } };
        return d.status?.state === 'FAILED' ? d : undefined;
      },
      30_000,
      'deployment FAILED',
    );
    expect(failed.status.failure?.message).toMatch(/failed after 2 attempt\(s\)/);
    const jobs = await sluice.api(`/api/v1/namespaces/${ns1}/jobs?deploymentId=${failed.metadata.id}`, { token: tokens[ns1] });
    const items = ((await jobs.json()) as { items: { status: { state: string } }[] }).items;
    expect(items.map((j) => j.status.state)).toEqual(['FAILED', 'FAILED']);
  });
});

describe('resync repairs what events missed', () => {
  let sluice: RunningSluice;
  beforeAll(async () => {
    sluice = await startSluice({ events: false });
  });
  afterAll(() => sluice?.stop());

  it("restores a target namespace's RoleBinding deleted behind Sluice's back, on POST /functions/<name>/resync", async () => {
    expect((await sluice.api('/namespaces/v1/namespaces', { method: 'POST', body: JSON.stringify({ name: 'repair' }) })).status).toBe(201);
    expect(
      (
        await sluice.api('/api/v1/namespaces/repair/deployment-targets', {
          method: 'POST',
          body: JSON.stringify({ metadata: { name: 'jobs' }, spec: { kubernetes: { namespace: 'repair-jobs' } } }),
        })
      ).status,
    ).toBe(201);
    const resync = async () =>
      (await fetch(`${sluice.url}/functions/onDeploymentTargetCreate/resync`, { method: 'POST' })).json() as Promise<{
        objects: number;
        failed: number;
      }>;
    // No event source runs: only the resync makes the target ready.
    expect(await resync()).toMatchObject({ failed: 0 });
    const bindings = async () =>
      (await sluice.kube.rbac.listNamespacedRoleBinding({ namespace: 'repair-jobs' })).items.map((b) => b.metadata!.name).sort();
    const before = await bindings();
    expect(before).toContain('sluice-deployment-step-targets');
    await sluice.kube.rbac.deleteNamespacedRoleBinding({ namespace: 'repair-jobs', name: 'sluice-deployment-step-targets' });
    expect(await bindings()).not.toContain('sluice-deployment-step-targets');
    expect(await resync()).toMatchObject({ failed: 0 });
    expect(await bindings()).toEqual(before);
    const target = (await (await sluice.api('/api/v1/namespaces/repair/deployment-targets/jobs')).json()) as { status: { state: string } };
    expect(target.status.state).toBe('READY');

    // Deleted (nothing references it): its delete event removes the bindings it made.
    const stored = await sluice.platform.findTarget('repair', 'jobs');
    expect((await sluice.api('/api/v1/namespaces/repair/deployment-targets/jobs', { method: 'DELETE' })).status).toBe(200);
    const ce = apiServerEvent({
      verb: 'delete',
      mode: 'resource',
      object: stored as never,
      source: 'https://kubernetes.default.svc',
      resource: 'deploymenttargets',
    });
    const message = HTTP.binary(ce);
    const res = await fetch(`${sluice.url}/functions/onDeploymentTargetCreate`, {
      method: 'POST',
      headers: message.headers as Record<string, string>,
      body: message.body as string,
    });
    expect({ outcome: res.headers.get('sluice-outcome'), reason: res.headers.get('sluice-reason'), body: await res.text() }).toEqual({
      outcome: 'handled',
      reason: 'bindings removed from repair-jobs',
      body: '',
    });
    expect((await bindings()).filter((b) => b?.startsWith('sluice-'))).toEqual([]);
  });
});
