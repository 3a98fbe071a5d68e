import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { exampleText, topSpeedWindowingYaml } from '../support/files.js';

describe("VVP's multitenancy guide, steps 7–9, through the REST API", () => {
  let sluice: RunningSluice;
  beforeAll(async () => {
    sluice = await startSluice({ events: false });
  });
  afterAll(() => sluice?.stop());

  it("creates vNamespaces, targets (VVP's YAML, unchanged) and the TopSpeedWindowing deployment", async () => {
    for (const ns of ['vvp-namespace-1', 'vvp-namespace-2']) {
      const res = await sluice.api('/namespaces/v1/namespaces', { method: 'POST', body: JSON.stringify({ name: `namespaces/${ns}` }) });
      expect(res.status, await res.clone().text()).toBe(201);
      expect(await res.json()).toMatchObject({ namespace: { name: `namespaces/${ns}`, lifecyclePhase: 'LIFECYCLE_PHASE_ACTIVE' } });
    }
    // Step 8, REST variant: VVP's guide posts into `default`, verbatim.
    const rest = await sluice.api('/api/v1/namespaces/default/deployment-targets', {
      method: 'POST',
      yaml: exampleText('deployment-target.yaml'),
    });
    expect(rest.status, await rest.clone().text()).toBe(201);
    // Step 8, UI variant: the same target inside vvp-namespace-1 (and team 2's in vvp-namespace-2).
    const targetIds: Record<string, string> = {};
    for (const [vns, team] of [
      ['vvp-namespace-1', 'vvp-jobs-team-1'],
      ['vvp-namespace-2', 'vvp-jobs-team-2'],
    ] as const) {
      const yaml = exampleText('deployment-target.yaml')
        .replace('namespace: default', `namespace: ${vns}`)
        .replaceAll('vvp-jobs-team-1', team);
      const res = await sluice.api(`/api/v1/namespaces/${vns}/deployment-targets`, { method: 'POST', yaml });
      expect(res.status, await res.clone().text()).toBe(201);
      const body = (await res.json()) as { kind: string; metadata: { id: string; name: string; namespace: string }; spec: unknown };
      expect(body).toMatchObject({
        kind: 'DeploymentTarget',
        apiVersion: 'v1',
        metadata: { name: team, namespace: vns },
        spec: { kubernetes: { namespace: team } },
      });
      targetIds[vns] = body.metadata.id;
    }
    // Step 9: VVP's deployment file with its placeholder substituted, as the guide says.
    const yaml = topSpeedWindowingYaml(targetIds['vvp-namespace-1']!);
    const created = await sluice.api('/api/v1/namespaces/vvp-namespace-1/deployments', {
      method: 'POST',
      yaml,
      headers: { accept: 'application/yaml' },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    expect(created.headers.get('content-type')).toMatch(/yaml/);
    const text = await created.text();
    expect(text).toContain('name: TopSpeedWindowing');
    expect(text).toContain('flinkImageTag: 1.9.1-stream1-scala_2.12');

    const byName = await sluice.api('/api/v1/namespaces/vvp-namespace-1/deployments/TopSpeedWindowing');
    expect(byName.status).toBe(200);
    const d = (await byName.json()) as { metadata: { id: string; resourceVersion: number }; spec: Record<string, unknown> };
    expect(d.metadata.resourceVersion).toBe(1);
    expect(d.spec).toMatchObject({
      state: 'RUNNING',
      deploymentTargetId: targetIds['vvp-namespace-1'],
      template: { spec: { parallelism: 1, resources: { jobmanager: { cpu: 0.5, memory: '1G' } } } },
    });
    const byId = await sluice.api(`/api/v1/namespaces/vvp-namespace-1/deployments/${d.metadata.id}`);
    expect(((await byId.json()) as { metadata: { name: string } }).metadata.name).toBe('TopSpeedWindowing');
  });

  it("refuses a deployment in vvp-namespace-1 that references default's target, saying so", async () => {
    const list = await sluice.api('/api/v1/namespaces/default/deployment-targets');
    const defaultTarget = ((await list.json()) as { items: { metadata: { id: string } }[] }).items[0]!;
    const yaml = topSpeedWindowingYaml(defaultTarget.metadata.id).replace('TopSpeedWindowing', 'Other');
    const res = await sluice.api('/api/v1/namespaces/vvp-namespace-1/deployments', { method: 'POST', yaml });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toMatch(
      /not found in namespace vvp-namespace-1; a deployment can only use a deployment target of its own namespace/,
    );
    const after = await sluice.api('/api/v1/namespaces/vvp-namespace-1/deployments');
    expect(((await after.json()) as { items: unknown[] }).items).toHaveLength(1);
  });
});
