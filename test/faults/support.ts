import { type Server, type Socket, connect, createServer } from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import { eventFunctions } from '../../functions/index.js';
import { LABELS } from '../../shared/model/naming.js';
import { resync } from '../../shared/runtime/resync.js';
import type { DeploymentResource, JobResource } from '../../shared/model/index.js';
import { eventually } from '../bed/env.js';
import type { RunningSluice } from '../support/sluice.js';
import { topSpeedWindowingYaml } from '../support/files.js';

export { topSpeedWindowingBody as deploymentBody } from '../support/top-speed-windowing.js';

/** A REST call that must succeed; retried while Sluice answers 503 (a dependency is away), as a client would. */
export async function apiOk<T = unknown>(
  sluice: RunningSluice,
  path: string,
  init: RequestInit = {},
  expect = [200, 201],
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await sluice.api(path, init).catch((err: unknown) => err as Error);
    if (!(res instanceof Error)) {
      const text = await res.text();
      if (expect.includes(res.status)) return (text ? JSON.parse(text) : undefined) as T;
      if (res.status !== 503) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text}`);
    }
    if (Date.now() > deadline) throw new Error(`${init.method ?? 'GET'} ${path}: still unavailable after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A vNamespace with a Deployment Target in `targetNamespace`; resolves once pods can be made
 * there (the namespace exists and so does its default service account). A
 * Sluice started without its event source has the namespace made by one resync of
 * onDeploymentTargetCreate instead.
 */
export async function team(
  sluice: RunningSluice,
  vns: string,
  targetNamespace: string,
  opts: { withoutEvents?: boolean } = {},
): Promise<{ targetId: string }> {
  await apiOk(sluice, '/namespaces/v1/namespaces', { method: 'POST', body: JSON.stringify({ name: `namespaces/${vns}` }) });
  const target = await apiOk<{ metadata: { id: string } }>(sluice, `/api/v1/namespaces/${vns}/deployment-targets`, {
    method: 'POST',
    body: JSON.stringify({ metadata: { name: `${vns}-target` }, spec: { kubernetes: { namespace: targetNamespace } } }),
  });
  if (opts.withoutEvents) await resync(await eventFunctions.onDeploymentTargetCreate!(), sluice.ctx);
  await waitForTargetNamespace(sluice, targetNamespace);
  return { targetId: target.metadata.id };
}

export async function waitForTargetNamespace(sluice: RunningSluice, namespace: string, timeoutMs = 60_000): Promise<void> {
  await eventually(
    async () => !!(await sluice.kube.core.readNamespacedServiceAccount({ namespace, name: 'default' })),
    timeoutMs,
    `target namespace ${namespace} ready for pods`,
  );
}

/** The Deployment's FlinkJobs, straight from the API server. */
export async function jobsOf(sluice: RunningSluice, deploymentId: string): Promise<JobResource[]> {
  return sluice.platform.jobs.list(`${LABELS.deploymentId}=${deploymentId}`) as Promise<JobResource[]>;
}

/** The Flink pods of a Deployment in its target namespace. */
export async function podsOf(sluice: RunningSluice, namespace: string, deploymentId: string): Promise<V1Pod[]> {
  return (await sluice.kube.core.listNamespacedPod({ namespace, labelSelector: `system=ververica-platform,deploymentId=${deploymentId}` }))
    .items;
}

export async function deploymentCr(sluice: RunningSluice, vns: string, name: string): Promise<DeploymentResource> {
  const d = await sluice.platform.findDeployment(vns, name);
  if (!d) throw new Error(`deployment ${vns}/${name} not found`);
  return d;
}

/** Waits until the Deployment's status is `state`; fails early when it is FAILED instead. */
export async function waitForState(
  sluice: RunningSluice,
  vns: string,
  name: string,
  state: string,
  timeoutMs = 60_000,
): Promise<DeploymentResource> {
  return eventually(
    async () => {
      const d = await sluice.platform.findDeployment(vns, name);
      if (d?.status?.state === 'FAILED' && state !== 'FAILED') throw new Error(`${name} FAILED: ${JSON.stringify(d.status.failure)}`);
      return d?.status?.state === state ? d : undefined;
    },
    timeoutMs,
    `${vns}/${name} ${state}`,
  );
}

/**
 * A TCP proxy in front of the API server that can freeze: after `n` more chunks from the
 * client have been passed on, it holds everything in both directions, so the client is
 * blocked on a request the server has received and maybe acted on, but never answered.
 */
export class FreezingProxy {
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #budget = Infinity;
  #frozen = false;
  /** Chunks held since freezing. */
  held = 0;
  port = 0;

  constructor(
    private readonly host: string,
    private readonly upstreamPort: number,
  ) {}

  async start(): Promise<void> {
    this.#server = createServer((client) => {
      const upstream = connect(this.upstreamPort, this.host);
      this.#sockets.add(client).add(upstream);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      };
      client.on('data', (d) => {
        if (this.#frozen) {
          this.held++;
          return;
        }
        upstream.write(d);
        if (--this.#budget <= 0) this.#frozen = true;
      });
      upstream.on('data', (d) => {
        if (this.#frozen) {
          this.held++;
          return;
        }
        client.write(d);
      });
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', () => resolve()));
    const address = this.#server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  /** Freezes after `n` more client chunks (0: at once). */
  freezeAfter(n: number): void {
    this.held = 0;
    this.#budget = n;
    this.#frozen = n <= 0;
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  /** Drops every connection (held data with it) and passes traffic again. */
  reset(): void {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    this.#frozen = false;
    this.#budget = Infinity;
    this.held = 0;
  }

  async stop(): Promise<void> {
    this.reset();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}

// ---- As outages.test.ts uses them: the REST API's view ---------------------------------

/** VVP's TopSpeedWindowing deployment as YAML, named `name` in vNamespace `vns`, on target `targetId`. */
export function topSpeedWindowingYamlIn(vns: string, targetId: string, name: string): string {
  return topSpeedWindowingYaml(targetId)
    .replace('namespace: vvp-namespace-1', `namespace: ${vns}`)
    .replace('name: TopSpeedWindowing', `name: ${name}`);
}

/** A vNamespace with a target in `targetNamespace` (ready for pods); resolves with the target's id. */
export async function tenant(sluice: RunningSluice, vns: string, targetNamespace: string): Promise<string> {
  return (await team(sluice, vns, targetNamespace)).targetId;
}

export interface VvpDeployment {
  metadata: { id: string; name: string; resourceVersion?: number };
  spec: { state: string };
  status: { state?: string; running?: { jobId?: string } };
}

/** The vNamespace's Deployments through the REST API (bootstrap token). */
export async function deployments(sluice: RunningSluice, vns: string): Promise<VvpDeployment[]> {
  const list = await apiOk<{ items: VvpDeployment[] }>(sluice, `/api/v1/namespaces/${vns}/deployments`);
  return list.items.map((d) => ({ ...d, status: d.status ?? {} }));
}

export interface VvpJob {
  metadata: { id: string; deploymentId: string };
  status?: { state?: string };
}

/** The vNamespace's Jobs through the REST API, by Deployment id. */
export async function jobsByDeployment(sluice: RunningSluice, vns: string): Promise<Map<string, VvpJob[]>> {
  const list = await apiOk<{ items: VvpJob[] }>(sluice, `/api/v1/namespaces/${vns}/jobs`);
  const byDeployment = new Map<string, VvpJob[]>();
  for (const job of list.items) byDeployment.set(job.metadata.deploymentId, [...(byDeployment.get(job.metadata.deploymentId) ?? []), job]);
  return byDeployment;
}
