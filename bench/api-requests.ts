/**
 * Kubernetes API requests per deployment lifecycle: create -> RUNNING -> suspend -> resume ->
 * cancel -> delete, through the REST API of single-process Sluice, counted by a proxy that sits
 * between Sluice and kube-apiserver (Sluice's kubeconfig points at it). The bench waits on the
 * API server directly and the pod simulator talks to it directly, so only Sluice's requests,
 * the REST API's and every function's, are counted.
 */
import { type IncomingMessage, type ServerResponse, createServer, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { TypedKube, openWatch } from '../shared/kube/typed.js';
import { FLINK_DEPLOYMENTS } from '../shared/kube/resources.js';
import type { DeploymentResource } from '../shared/model/index.js';
import { startSluice } from '../test/support/sluice.js';
import type { BenchEnv } from './env.js';
import { sleep } from './stats.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
const WRITES: ReadonlySet<Verb> = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/**
 * The verb and resource of a Kubernetes API request, as the API server's audit log names
 * them: `/api/v1/namespaces/ns/pods/x/status` is `update pods/status`.
 */
export function classify(method: string, url: string): { verb: Verb; resource: string } {
  const { pathname, searchParams } = new URL(url, 'http://x');
  const parts = pathname.split('/').filter(Boolean);
  // /api/v1/... or /apis/group/version/...
  let rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  if (rest.length === 0) return { verb: 'get', resource: '(discovery)' };
  const [resource = '', name, sub] = rest;
  const named = name !== undefined;
  const m = method.toUpperCase();
  const verb: Verb =
    m === 'GET'
      ? searchParams.get('watch') === 'true' || searchParams.get('watch') === '1'
        ? 'watch'
        : named
          ? 'get'
          : 'list'
      : m === 'POST'
        ? 'create'
        : m === 'PUT'
          ? 'update'
          : m === 'PATCH'
            ? 'patch'
            : named
              ? 'delete'
              : 'deletecollection';
  return { verb, resource: sub ? `${resource}/${sub}` : resource };
}

export interface Counts {
  byVerb: Record<string, number>;
  byRequest: Record<string, number>;
  reads: number;
  /** Writes the API server carried out (2xx). */
  writes: number;
  /** Writes it refused (a stale version's 409, a create that found the object there): requests, not writes made. */
  refused: number;
  watches: number;
}

/** One request as the proxy saw it; `status` once the API server answered. */
interface Seen {
  verb: Verb;
  resource: string;
  status?: number;
}

function tally(requests: Seen[]): Counts {
  const byVerb: Record<string, number> = {};
  const byRequest: Record<string, number> = {};
  for (const r of requests) {
    const key = `${r.verb} ${r.resource}${WRITES.has(r.verb) && (r.status ?? 0) >= 300 ? ` (refused, ${r.status ?? 'no answer'})` : ''}`;
    byVerb[r.verb] = (byVerb[r.verb] ?? 0) + 1;
    byRequest[key] = (byRequest[key] ?? 0) + 1;
  }
  const allWrites = requests.filter((r) => WRITES.has(r.verb));
  const writes = allWrites.filter((r) => (r.status ?? 0) >= 200 && (r.status ?? 0) < 300).length;
  const watches = requests.filter((r) => r.verb === 'watch').length;
  return { byVerb, byRequest, reads: requests.length - allWrites.length - watches, writes, refused: allWrites.length - writes, watches };
}

/** An HTTP proxy to the API server that records each request's verb and resource. */
async function countingProxy(target: string): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const upstream = new URL(target);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const entry: Seen = classify(req.method ?? 'GET', req.url ?? '/');
    seen.push(entry);
    const forward = (upstream.protocol === 'https:' ? httpsRequest : httpRequest)(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        rejectUnauthorized: false,
      },
      (up) => {
        entry.status = up.statusCode;
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    res.on('close', () => forward.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface LifecycleRequests {
  phases: { phase: string; counts: Counts }[];
  total: Counts;
}

export async function apiRequestsBench(env: BenchEnv, log: (l: string) => void): Promise<LifecycleRequests> {
  const proxy = await countingProxy(env.cluster.server);
  const kubeconfig = join(env.dir, 'kubeconfig-counted');
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // client-node takes plain HTTP only with TLS verification off (there is no TLS to verify).
      clusters: [{ name: 'counted', cluster: { server: proxy.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'admin', user: { token: env.cluster.tokens.admin } }],
      contexts: [{ name: 'counted', context: { cluster: 'counted', user: 'admin' } }],
      'current-context': 'counted',
    }),
    { mode: 0o600 },
  );
  const vns = 'bench-requests';
  const platformNamespace = 'sluice-bench-requests';
  const targetNamespace = 'bench-requests-jobs';
  const sluice = await startSluice({ kubeconfig, redisUrl: env.redis.url, platformNamespace, logLevel: 'error' });
  const direct = TypedKube.fromFile(env.kubeconfig);
  const states = new Map<string, string>();
  const deleted = new Set<string>();
  const abort = await openWatch(
    direct.config,
    `/apis/${FLINK_DEPLOYMENTS.apiVersion}/namespaces/${platformNamespace}/${FLINK_DEPLOYMENTS.plural}`,
    {},
    (phase, d: DeploymentResource) => {
      if (phase === 'DELETED') deleted.add(d.spec.metadata.name);
      else if (d.status?.state) states.set(d.spec.metadata.name, d.status.state);
    },
  );
  const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(20);
    }
  };
  /** Waits until Sluice has made no request for `quietMs`: the phase's work is done. */
  const quiet = async (quietMs = 1500) => {
    let last = proxy.seen.length;
    let since = Date.now();
    while (Date.now() - since < quietMs) {
      await sleep(100);
      if (proxy.seen.length !== last) [last, since] = [proxy.seen.length, Date.now()];
    }
  };
  const podsOf = async (id: string) =>
    (await direct.core.listNamespacedPod({ namespace: targetNamespace, labelSelector: `deploymentId=${id}` })).items.length;
  const rest = async (path: string, init: RequestInit = {}) => {
    const res = await sluice.api(path, init);
    if (res.status >= 300) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<{ metadata: { id: string } }>;
  };
  try {
    await rest('/namespaces/v1/namespaces', { method: 'POST', body: JSON.stringify({ name: `namespaces/${vns}` }) });
    await rest(`/api/v1/namespaces/${vns}/deployment-targets`, {
      method: 'POST',
      body: JSON.stringify({ metadata: { name: 'target' }, spec: { kubernetes: { namespace: targetNamespace } } }),
    });
    await until(
      'the target namespace',
      async () =>
        !!(await direct.core.readNamespacedServiceAccount({ namespace: targetNamespace, name: 'default' }).catch(() => undefined)),
    );
    await quiet();

    const phases: LifecycleRequests['phases'] = [];
    const path = `/api/v1/namespaces/${vns}/deployments/lifecycle`;
    const phase = async (name: string, act: () => Promise<unknown>, done: () => boolean | Promise<boolean>) => {
      const from = proxy.seen.length;
      await act();
      await until(name, done);
      await quiet();
      phases.push({ phase: name, counts: tally(proxy.seen.slice(from)) });
      log(`requests: ${name}: ${proxy.seen.length - from}`);
    };
    const state = (s: string) => () => states.get('lifecycle') === s;
    const from = proxy.seen.length;
    const created = await (async () => {
      let id = '';
      await phase(
        'create → RUNNING',
        async () => {
          id = (
            await rest(`/api/v1/namespaces/${vns}/deployments`, {
              method: 'POST',
              body: JSON.stringify({
                metadata: { name: 'lifecycle' },
                spec: {
                  state: 'RUNNING',
                  deploymentTargetName: 'target',
                  template: {
                    spec: {
                      artifact: { kind: 'JAR', jarUri: 'file:///flink/examples/streaming/TopSpeedWindowing.jar', flinkVersion: '1.20' },
                      flinkConfiguration: { 'state.savepoints.dir': 'file:///tmp/bench-savepoints' },
                    },
                  },
                },
              }),
            })
          ).metadata.id;
        },
        state('RUNNING'),
      );
      return id;
    })();
    await phase(
      'suspend → SUSPENDED',
      () => rest(path, { method: 'PATCH', body: JSON.stringify({ spec: { state: 'SUSPENDED' } }) }),
      async () => state('SUSPENDED')() && (await podsOf(created)) === 0,
    );
    await phase(
      'resume → RUNNING',
      () => rest(path, { method: 'PATCH', body: JSON.stringify({ spec: { state: 'RUNNING' } }) }),
      state('RUNNING'),
    );
    await phase(
      'cancel → CANCELLED',
      () => rest(path, { method: 'PATCH', body: JSON.stringify({ spec: { state: 'CANCELLED' } }) }),
      async () => state('CANCELLED')() && (await podsOf(created)) === 0,
    );
    await phase(
      'delete → gone',
      () => rest(path, { method: 'DELETE' }),
      () => deleted.has('lifecycle'),
    );
    return { phases, total: tally(proxy.seen.slice(from)) };
  } finally {
    abort.abort();
    await sluice.stop();
    await proxy.close();
  }
}
