/**
 * Sluice at 10,000 Deployments in 1,000 vNamespaces (10 each), against the same figures at
 * 100 Deployments in 10 vNamespaces: the REST list of one vNamespace's Deployments (which
 * Sluice reads from the API server in pages of 500), what the console's Deployments page
 * fetches, a full resync, and the api function's resident memory. Objects are written as
 * custom resources through the Platform service (the REST API's code without HTTP).
 *
 * The API server's own answer to the list Sluice makes (the same label-selected, paginated
 * list of FlinkDeployments, without Sluice) is measured beside it: the yardstick for what of
 * the list's time is Sluice's. Each resync also records the CPU time kube-apiserver, etcd,
 * Redis and the bench's process (where the functions' steps run) spent on it: on a machine of
 * few cores the resync is bounded by that CPU, not by waiting.
 */
import { readFileSync } from 'node:fs';
import { isAlreadyExists } from '../shared/kube/client.js';
import type { SluiceFunction } from '../shared/runtime/define.js';
import { resync } from '../shared/runtime/resync.js';
import { LABELS } from '../shared/model/naming.js';
import { NamespaceStore } from '../shared/vvp/namespaces.js';
import { freePort } from '../shared/local/ports.js';
import { type FunctionProcess, type Variant, spawnFunction } from './child.js';
import type { BenchEnv } from './env.js';
import { type Fixture, platformFixture, pool } from './fixture.js';
import { topSpeedWindowingBody } from '../test/support/top-speed-windowing.js';
import { type Summary, sleep, summarize } from './stats.js';

const PLATFORM = 'sluice-bench-scale';
const PER_VNS = 10;
const vnsName = (i: number) => `scale-${i}`;

export interface ScalePoint {
  deployments: number;
  vnamespaces: number;
  /** Time to create what this point added (objects created since the previous point). */
  createSeconds: number;
  /** GET /api/v1/namespaces/{ns}/deployments of the api function (10 items). */
  restList: Summary;
  /** The console's Deployments page, loaded: deployments and targets of its vNamespace. */
  consoleList: Summary;
  /** The API server alone: the label-selected, paginated FlinkDeployment list Sluice makes for the REST list. */
  apiServerList: Summary;
  /** GET /namespaces/v1/namespaces of the api function (every vNamespace: the console's switcher, when reached for). */
  namespacesList: Summary;
  /** The API server alone: the paginated VNamespace list Sluice makes for it. */
  apiServerNamespacesList: Summary;
  /** The api function's VmRSS after the requests above. */
  apiRssMB: number;
  resync: {
    fn: string;
    kind: 'first' | 'steady';
    objects: number;
    /** Passed by as settled (no lock, no read). */
    settled: number;
    seconds: number;
    /** CPU seconds spent during the resync, by process. */
    cpu: Record<CpuOf, number>;
  }[];
}

type CpuOf = 'apiserver' | 'etcd' | 'redis' | 'functions';

/** User + system CPU seconds of a process so far (/proc/<pid>/stat, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export interface ScaleFigures {
  points: ScalePoint[];
}

/** Grows the installation to `vnamespaces` vNamespaces of PER_VNS Deployments each (idempotent). */
async function grow(f: Fixture, vnamespaces: number, from: number, log: (l: string) => void): Promise<void> {
  const namespaces = new NamespaceStore(f.platform.namespaces);
  const targets: string[] = [];
  await pool(vnamespaces - from, 16, async (k) => {
    const i = from + k;
    const vns = vnsName(i);
    await namespaces.create(vns, []).catch((err: unknown) => {
      if ((err as { status?: number }).status !== 409) throw err;
    });
    const target =
      (await f.platform.findTarget(vns, 'target')) ??
      (await f.platform.createTarget(vns, {
        metadata: { name: 'target', namespace: vns },
        spec: { kubernetes: { namespace: 'bench-scale-jobs' } },
      }));
    targets[i] = target.spec.metadata.id;
  });
  const n = (vnamespaces - from) * PER_VNS;
  const t0 = performance.now();
  let done = 0;
  await pool(n, 16, async (k) => {
    const i = from + Math.floor(k / PER_VNS);
    const vns = vnsName(i);
    try {
      await f.platform.createDeployment(vns, topSpeedWindowingBody(vns, `d-${k % PER_VNS}`, targets[i]!, 'CANCELLED'));
    } catch (err) {
      if ((err as { status?: number }).status !== 409 && !isAlreadyExists(err)) throw err;
    }
    if (++done % 1000 === 0) log(`scale: ${done} of ${n} deployments created (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  });
}

async function get(port: number, path: string): Promise<{ status: number; items: number }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  const body = (await res.json()) as { items?: unknown[]; namespaces?: unknown[] };
  return { status: res.status, items: (body.items ?? body.namespaces ?? []).length };
}

async function timedRuns(runs: number, once: (i: number) => Promise<void>): Promise<Summary> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await once(i);
    times.push(performance.now() - t0);
  }
  return summarize(times);
}

async function untilHealthy(fp: FunctionProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (fp.child.exitCode !== null) throw new Error(`api exited (${fp.child.exitCode}): ${fp.output()}`);
    const ok = await fetch(`http://127.0.0.1:${fp.port}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (performance.now() > deadline) throw new Error(`api not healthy within ${timeoutMs} ms: ${fp.output()}`);
    await sleep(20);
  }
}

async function measure(
  f: Fixture,
  env: BenchEnv,
  api: Variant,
  vnamespaces: number,
  runs: number,
  createSeconds: number,
  fns: SluiceFunction[],
  log: (l: string) => void,
): Promise<ScalePoint> {
  const port = await freePort();
  const fp = spawnFunction(
    api,
    {
      SLUICE_FUNCTION: 'api',
      KUBECONFIG: env.kubeconfig,
      REDIS_URL: env.redis.url,
      SLUICE_PLATFORM_NAMESPACE: PLATFORM,
      SLUICE_AUTH: 'off',
      LOG_LEVEL: 'warn',
    },
    port,
  );
  let point: Omit<ScalePoint, 'resync'>;
  try {
    await untilHealthy(fp);
    // The same vNamespaces at both sizes' turn are spread over the whole installation.
    const vnsAt = (i: number) => vnsName((i * 7919) % vnamespaces);
    const restOnce = async (i: number) => {
      const r = await get(port, `/api/v1/namespaces/${vnsAt(i)}/deployments`);
      if (r.status !== 200 || r.items !== PER_VNS)
        throw new Error(`REST list of ${vnsAt(i)}: ${r.status}, ${r.items} items (not ${PER_VNS})`);
    };
    // What the page's load fetches (app.js, pages/deployments.js): its own vNamespace's objects only.
    const consoleOnce = async (i: number) => {
      const [d, t] = await Promise.all([
        get(port, `/api/v1/namespaces/${vnsAt(i)}/deployments`),
        get(port, `/api/v1/namespaces/${vnsAt(i)}/deployment-targets`),
      ]);
      if (d.status !== 200 || d.items !== PER_VNS || t.status !== 200)
        throw new Error(`console lists of ${vnsAt(i)}: ${d.status}/${t.status}`);
    };
    const apiServerOnce = async (i: number) => {
      const items = await f.platform.deployments.list(`${LABELS.vnamespace}=${vnsAt(i)}`);
      if (items.length !== PER_VNS) throw new Error(`API server list of ${vnsAt(i)}: ${items.length} items`);
    };
    const namespacesOnce = async () => {
      const ns = await get(port, '/namespaces/v1/namespaces');
      if (ns.status !== 200 || ns.items < vnamespaces) throw new Error(`namespaces: ${ns.status}, ${ns.items} items`);
    };
    const apiServerNamespacesOnce = async () => {
      const items = await f.platform.namespaces.list();
      if (items.length < vnamespaces) throw new Error(`API server list of VNamespaces: ${items.length} items`);
    };
    for (let i = 0; i < 10; i++) await consoleOnce(i); // warm-up: JIT, connections
    for (let i = 0; i < 5; i++) await apiServerOnce(i);
    const restList = await timedRuns(runs, restOnce);
    const consoleList = await timedRuns(runs, consoleOnce);
    const apiServerList = await timedRuns(runs, apiServerOnce);
    const namespacesList = await timedRuns(runs, namespacesOnce);
    const apiServerNamespacesList = await timedRuns(runs, apiServerNamespacesOnce);
    await sleep(500);
    point = {
      deployments: vnamespaces * PER_VNS,
      vnamespaces,
      createSeconds,
      restList,
      consoleList,
      apiServerList,
      namespacesList,
      apiServerNamespacesList,
      apiRssMB: fp.rssMB(),
    };
  } finally {
    await fp.kill();
  }
  log(
    `scale ${point.deployments}: REST list p50 ${point.restList.median.toFixed(1)} ms, console ${point.consoleList.median.toFixed(1)} ms, API server list ${point.apiServerList.median.toFixed(1)} ms, namespaces ${point.namespacesList.median.toFixed(1)} ms (API server ${point.apiServerNamespacesList.median.toFixed(1)} ms), api RSS ${point.apiRssMB.toFixed(0)} MB`,
  );
  const resyncs: ScalePoint['resync'] = [];
  const pids: Record<CpuOf, number> = {
    apiserver: env.cluster.pids.apiserver,
    etcd: env.cluster.pids.etcd,
    redis: env.redis.pid,
    functions: process.pid,
  };
  const cpuNow = () => Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)])) as Record<CpuOf, number>;
  for (const kind of ['first', 'steady'] as const) {
    for (const fn of fns) {
      const cpu0 = cpuNow();
      const t0 = performance.now();
      const s = await resync(fn, f.ctx);
      const seconds = (performance.now() - t0) / 1000;
      const cpu1 = cpuNow();
      const cpu = Object.fromEntries(Object.keys(pids).map((k) => [k, cpu1[k as CpuOf] - cpu0[k as CpuOf]])) as Record<CpuOf, number>;
      if (s.failed > 0) throw new Error(`resync of ${fn.name}: ${s.failed} of ${s.objects} failed`);
      log(
        `scale ${point.deployments}: resync ${fn.name} (${kind}) ${seconds.toFixed(1)} s over ${s.objects} objects (${s.settled} settled); CPU s ${Object.entries(
          cpu,
        )
          .map(([k, v]) => `${k} ${v.toFixed(1)}`)
          .join(', ')}; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
      );
      resyncs.push({ fn: fn.name, kind, objects: s.objects, settled: s.settled, seconds, cpu });
    }
  }
  return { ...point, resync: resyncs };
}

/** `api` is how the api function is started (the image's bundle and options). */
export async function scaleBench(
  env: BenchEnv,
  api: Variant,
  sizes: number[],
  runs: number,
  log: (l: string) => void,
): Promise<ScaleFigures> {
  const f = await platformFixture(env.kube, env.redis.url, PLATFORM, 'bench-scale-jobs');
  const fns = [
    (await import('../functions/applyPatchSet/index.js')).default,
    (await import('../functions/deploymentStep/index.js')).default,
  ];
  const points: ScalePoint[] = [];
  try {
    let have = 0;
    for (const deployments of sizes) {
      const vnamespaces = deployments / PER_VNS;
      const t0 = performance.now();
      await grow(f, vnamespaces, have, log);
      const createSeconds = (performance.now() - t0) / 1000;
      log(`scale: grew to ${deployments} deployments in ${vnamespaces} vNamespaces in ${createSeconds.toFixed(0)} s`);
      have = vnamespaces;
      points.push(await measure(f, env, api, vnamespaces, runs, createSeconds, fns, log));
    }
  } finally {
    await f.close();
  }
  return { points };
}
