import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { ensureKubeBinaries } from '../../shared/local/cluster.js';
import { CrClient } from '../../shared/kube/cr-client.js';
import type { VvpDeploymentCr } from '../../shared/operator/cr.js';
import { VVP_DEPLOYMENTS } from '../../shared/kube/resources.js';
import { eventually as bedEventually, kubeConfig, testBed } from '../bed/env.js';
import type { RunningSluice } from '../support/sluice.js';

let kubectlPath: Promise<string> | undefined;
const kubectlBinary = () => (kubectlPath ??= ensureKubeBinaries(() => {}).then((dir) => join(dir, 'kubectl')));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The local cluster's kubectl as the bed's admin, as a user would run it. */
export async function kubectl(args: string[], input?: string): Promise<Run> {
  const bin = await kubectlBinary();
  return new Promise((resolve, reject) => {
    const child = execFile(bin, ['--kubeconfig', testBed().kubeconfig, ...args], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      if (code === -1) reject(err!);
      else resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

export async function kubectlOk(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** A namespace with exactly this name, ready for pods (its default service account exists). */
export async function ensureNamespace(name: string): Promise<string> {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name, labels: { 'sluice.dev/test': 'operator' } } } }).catch((err: unknown) => {
    if ((err as { code?: number }).code !== 409) throw err;
  });
  await bedEventually(
    async () => !!(await core.readNamespacedServiceAccount({ name: 'default', namespace: name })),
    30_000,
    `default service account in ${name}`,
  );
  return name;
}

export const crsIn = (sluice: RunningSluice, namespace: string) => new CrClient<VvpDeploymentCr>(sluice.kube, VVP_DEPLOYMENTS, namespace);

/** Polls the CR until `probe` returns something (not undefined/false). */
export async function waitCr<T>(
  sluice: RunningSluice,
  namespace: string,
  name: string,
  probe: (cr: VvpDeploymentCr) => T | undefined | false,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  let last: VvpDeploymentCr | undefined;
  try {
    return await bedEventually(
      async () => {
        last = await crsIn(sluice, namespace).get(name);
        return last ? probe(last) : undefined;
      },
      timeoutMs,
      what,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last CR status: ${JSON.stringify(last?.status)}`, { cause: err });
  }
}

export const condition = (cr: VvpDeploymentCr, type = 'Synced') => cr.status?.conditions?.find((c) => c.type === type);

/** The CR once its current generation is synced (Synced=True for it). */
export const synced = (sluice: RunningSluice, namespace: string, name: string, timeoutMs?: number) =>
  waitCr(
    sluice,
    namespace,
    name,
    (cr) => (cr.status?.observedGeneration === cr.metadata.generation && condition(cr)?.status === 'True' ? cr : undefined),
    `${name} synced`,
    timeoutMs,
  );

/** A REST call that must succeed; returns its JSON. */
export async function rest<T = Record<string, unknown>>(
  sluice: RunningSluice,
  path: string,
  init: Parameters<RunningSluice['api']>[1] = {},
): Promise<T> {
  const res = await sluice.api(path, init);
  const text = await res.text();
  expect(res.status, `${init.method ?? 'GET'} ${path}: ${text}`).toBeLessThan(300);
  return JSON.parse(text) as T;
}

export interface VvpDeployment {
  metadata: {
    id: string;
    name: string;
    namespace: string;
    displayName?: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    resourceVersion: number;
  };
  spec: Record<string, unknown> & { state: string; template: { spec: Record<string, unknown> } };
  status: { state?: string; failure?: { reason: string; message: string } };
}

export const getDeployment = (sluice: RunningSluice, vns: string, name: string, token?: string) =>
  rest<VvpDeployment>(sluice, `/api/v1/namespaces/${vns}/deployments/${encodeURIComponent(name)}`, token ? { token } : {});

/** Creates a Deployment Target through the REST API, pointing at a Kubernetes namespace. */
export const createTarget = (
  sluice: RunningSluice,
  vns: string,
  name: string,
  namespace: string,
  extra: Record<string, unknown> = {},
  token?: string,
) =>
  rest(sluice, `/api/v1/namespaces/${vns}/deployment-targets`, {
    method: 'POST',
    body: JSON.stringify({ metadata: { name }, spec: { kubernetes: { namespace }, ...extra } }),
    ...(token ? { token } : {}),
  });

/** Applies a CR given as an object (`kubectl apply -f -`). */
export const applyCr = (namespace: string, cr: unknown) => kubectl(['-n', namespace, 'apply', '-f', '-'], JSON.stringify(cr));

/** A minimal CR for a Deployment `name` in `vns` on `target`. */
export function crFor(
  name: string,
  vns: string,
  target: string,
  overrides: {
    syncingMode?: 'PATCH' | 'PUT';
    spec?: Record<string, unknown>;
    annotations?: Record<string, string>;
    extra?: Record<string, unknown>;
  } = {},
) {
  return {
    apiVersion: 'ververica.platform/v1',
    kind: 'VvpDeployment',
    metadata: { name, ...(overrides.annotations ? { annotations: overrides.annotations } : {}) },
    spec: {
      syncingMode: overrides.syncingMode ?? 'PATCH',
      deployment: {
        userMetadata: { name, namespace: vns },
        spec: {
          state: 'CANCELLED',
          deploymentTargetName: target,
          template: {
            spec: { artifact: { kind: 'JAR', jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar' } } as Record<
              string,
              unknown
            >,
          },
          ...overrides.spec,
        },
      },
      ...overrides.extra,
    },
  };
}

/** Waits until the in-process event queue has nothing queued or running (twice, for follow-up events). */
export async function settle(sluice: RunningSluice): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await sluice.runner.queue.idle();
    await new Promise((r) => setTimeout(r, 300));
  }
}
