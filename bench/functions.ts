/**
 * Figures of one function's process, as its container runs it: cold start, memory after
 * 1,000 events, and the throughput of duplicate deliveries with their Redis round trips.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../shared/local/ports.js';
import { FLINK_DEPLOYMENTS } from '../shared/kube/resources.js';
import { apiServerEvent } from '../shared/runtime/events.js';
import { resync } from '../shared/runtime/resync.js';
import type { DeploymentResource } from '../shared/model/index.js';
import {
  type FunctionProcess,
  type RawMessage,
  ROOT,
  type Variant,
  binary,
  keepAlive,
  outcomeOf,
  post,
  spawnFunction,
  untilAnswered,
} from './child.js';
import type { BenchEnv } from './env.js';
import { type Fixture, createDeployments, platformFixture, pool } from './fixture.js';
import { type Summary, sleep, summarize } from './stats.js';

const PLATFORM = 'sluice-bench-fn';
const FUNCTION = 'applyPatchSet';

export interface FunctionFixture {
  f: Fixture;
  deployments: DeploymentResource[];
  env: Record<string, string>;
}

/** 100 Deployments whose effective spec is recorded: an event for one is a GET and a skip. */
export async function functionFixture(env: BenchEnv): Promise<FunctionFixture> {
  const f = await platformFixture(env.kube, env.redis.url, PLATFORM, 'bench-fn-jobs');
  const deployments = await createDeployments(f, 'fn', 100, 'CANCELLED');
  const applyPatchSet = (await import('../functions/applyPatchSet/index.js')).default;
  await resync(applyPatchSet, f.ctx);
  return {
    f,
    deployments: await Promise.all(deployments.map(async (d) => (await f.platform.deployments.get(d.metadata.name))!)),
    env: {
      SLUICE_FUNCTION: FUNCTION,
      KUBECONFIG: env.kubeconfig,
      REDIS_URL: env.redis.url,
      SLUICE_PLATFORM_NAMESPACE: PLATFORM,
      LOG_LEVEL: 'info',
    },
  };
}

/** The update event ApiServerSource sends for `d`, as a distinct object version `rv`. */
function updateEvent(d: DeploymentResource, rv: string): RawMessage {
  const object = { ...d, metadata: { ...d.metadata, resourceVersion: rv } } as unknown as Parameters<typeof apiServerEvent>[0]['object'];
  return binary(
    apiServerEvent({ verb: 'update', mode: 'resource', object, source: 'https://127.0.0.1:6443', resource: FLINK_DEPLOYMENTS.plural }),
  );
}

export interface ColdStart {
  variant: string;
  note: string;
  /** Spawn -> first CloudEvent answered 2xx (a real event: Redis, lock, GET from the API server). */
  firstEvent: Summary;
  /** Spawn -> /healthz answers. */
  listening: Summary;
  /** Spawn -> exit of a bare `node -e 0`, timed just before each run: the yardstick. */
  bareNode: Summary;
}

export async function coldStart(
  ff: FunctionFixture,
  variant: Variant,
  runs: number,
  offset: number,
  log: (l: string) => void,
): Promise<ColdStart> {
  const first: number[] = [];
  const listening: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    await sleep(200);
    bare.push((await timeExit(['-e', '0'])).ms);
    const d = ff.deployments[(offset + i) % ff.deployments.length]!;
    const msg = updateEvent(d, `cold-${Date.now()}-${i}`);
    const port = await freePort();
    await sleep(300); // let the machine settle between runs
    const started = performance.now();
    const fp = spawnFunction(variant, ff.env, port);
    try {
      // /healthz first (a GET as Knative's readiness probe), then the event: the event is the figure.
      await untilHealthy(fp, started);
      listening.push(performance.now() - started);
      const answered = await untilAnswered(fp, msg, started);
      if (!/^(skipped|handled): [^(]*$/.test(answered.outcome)) throw new Error(`unexpected answer ${answered.outcome}`);
      first.push(answered.ms);
    } finally {
      await fp.kill();
    }
  }
  log(
    `cold start ${variant.name}: ${first.map((x) => x.toFixed(0)).join(' ')} ms; node -e 0 before each: ${bare.map((x) => x.toFixed(0)).join(' ')} ms`,
  );
  return {
    variant: variant.name,
    note: variant.note,
    firstEvent: summarize(first),
    listening: summarize(listening),
    bareNode: summarize(bare),
  };
}

async function untilHealthy(fp: FunctionProcess, started: number, timeoutMs = 30_000): Promise<void> {
  for (;;) {
    if (fp.child.exitCode !== null) throw new Error(`function exited (${fp.child.exitCode}): ${fp.output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      fetch(`http://127.0.0.1:${fp.port}/healthz`).then(
        (r) => resolve(r.status === 200),
        () => resolve(false),
      );
    });
    if (ok) return;
    if (performance.now() - started > timeoutMs) throw new Error(`not healthy within ${timeoutMs} ms: ${fp.output()}`);
    await sleep(2);
  }
}

export interface Memory {
  variant: string;
  idleMB: number;
  after1000MB: number;
  treeAfter1000MB: number;
  /** Of after1000MB: anonymous (heap, malloc, stacks) and file-backed (the node binary's pages). */
  after1000: { anon: number; file: number };
  eventsPerSecond: number;
}

/** Resident memory of one function process after 1,000 real events (each a GET from the API server). */
export async function memory(ff: FunctionFixture, variant: Variant, log: (l: string) => void): Promise<Memory> {
  const port = await freePort();
  const started = performance.now();
  const fp = spawnFunction(variant, ff.env, port);
  try {
    await untilAnswered(fp, updateEvent(ff.deployments[0]!, `mem-warm-${Date.now()}`), started);
    await sleep(500);
    const idleMB = fp.rssMB();
    const agent = keepAlive(8);
    const stamp = Date.now();
    const t0 = performance.now();
    let bad = 0;
    await pool(1000, 8, async (i) => {
      const res = await post(port, updateEvent(ff.deployments[i % ff.deployments.length]!, `mem-${stamp}-${i}`), agent);
      if (res.status !== 200 || res.body !== '' || !outcomeOf(res).includes('generation')) bad++;
    });
    const seconds = (performance.now() - t0) / 1000;
    agent.destroy();
    if (bad > 0) throw new Error(`${bad} of 1000 events were not answered 200 (handled as a real step): ${fp.output().slice(-2000)}`);
    await sleep(500);
    const result = {
      variant: variant.name,
      idleMB,
      after1000MB: fp.rssMB(),
      treeAfter1000MB: fp.treeRssMB(),
      after1000: fp.rssSplitMB(),
      eventsPerSecond: 1000 / seconds,
    };
    log(
      `memory ${variant.name}: idle ${idleMB.toFixed(0)} MB, after 1000 events ${result.after1000MB.toFixed(0)} MB (tree ${result.treeAfter1000MB.toFixed(0)} MB), ${result.eventsPerSecond.toFixed(0)} real events/s`,
    );
    return result;
  } finally {
    await fp.kill();
  }
}

export interface Duplicates {
  variant: string;
  /** The same measure of the yardstick (bench/redis-yardstick.ts) with the same NODE_OPTIONS, right after. */
  yardstick?: Duplicates;
  events: number;
  eventsPerSecond: number;
  /** Commands the function sent to Redis per duplicate (round trips), counted with MONITOR. */
  roundTripsPerEvent: number;
  /** What MONITOR saw for the sample: client commands, and commands run inside scripts. */
  monitored: { events: number; client: Record<string, number>; script: Record<string, number> };
  /** Redis commands per duplicate, from INFO commandstats over the timed run (scripts' inner commands included). */
  redisCommandsPerEvent: number;
  redisCommands: Record<string, number>;
  concurrency: number;
  /** events/s of each round. */
  rounds: number[];
}

/**
 * Counts what one connection sends while `body` runs, with MONITOR: commands a client sent
 * (one round trip each, as the function sends them unpipelined) apart from those a script ran.
 */
async function monitorDuring(
  redisUrl: string,
  body: () => Promise<void>,
): Promise<{ client: Record<string, number>; script: Record<string, number> }> {
  const base = new Redis(redisUrl);
  const monitor = await base.monitor();
  const client: Record<string, number> = {};
  const script: Record<string, number> = {};
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const name = (args[0] ?? '').toLowerCase();
    const into = source === 'lua' ? script : client;
    into[name] = (into[name] ?? 0) + 1;
  });
  try {
    await sleep(100);
    await body();
    await sleep(300); // MONITOR lines trail the replies
  } finally {
    monitor.disconnect();
    base.disconnect();
  }
  return { client, script };
}

function commandstats(info: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/**
 * The same (already handled) event delivered again and again over keep-alive HTTP: the
 * answer must be a 200 "duplicate", and the only Redis command per event one EVALSHA. The
 * processes of `variants` (a function and its yardstick) run side by side and their rounds
 * alternate, so that a burst of other work on the machine falls on both alike.
 */
export async function duplicates(
  ff: FunctionFixture,
  variants: Variant[],
  redisUrl: string,
  opts: { events: number; concurrency: number; rounds: number },
  log: (l: string) => void,
): Promise<Duplicates[]> {
  const redis = new Redis(redisUrl);
  const msg = updateEvent(ff.deployments[1]!, `dup-${Date.now()}`);
  const procs: {
    variant: Variant;
    fp: FunctionProcess;
    agent: ReturnType<typeof keepAlive>;
    rates: number[];
    stats: Record<string, number>;
  }[] = [];
  try {
    for (const variant of variants) {
      const started = performance.now();
      const fp = spawnFunction(variant, ff.env, await freePort());
      procs.push({ variant, fp, agent: keepAlive(opts.concurrency), rates: [], stats: {} });
      await untilAnswered(fp, msg, started);
    }
    const run = async (p: (typeof procs)[number], n: number) => {
      let bad = '';
      await pool(n, opts.concurrency, async () => {
        const res = await post(p.fp.port, msg, p.agent);
        if (res.status !== 200 || !outcomeOf(res).startsWith('skipped: duplicate')) bad ||= `${res.status} ${outcomeOf(res)}`;
      });
      if (bad) throw new Error(`${p.variant.name}: a duplicate was not answered 200 "duplicate": ${bad}`);
    };
    const sample = 1000;
    const monitored: Awaited<ReturnType<typeof monitorDuring>>[] = [];
    for (const p of procs) {
      await run(p, 2000); // warm-up (JIT, connections)
      monitored.push(await monitorDuring(redisUrl, () => run(p, sample)));
    }
    for (let round = 0; round < opts.rounds; round++) {
      for (const p of procs) {
        await redis.config('RESETSTAT');
        const t0 = performance.now();
        await run(p, opts.events);
        p.rates.push(opts.events / ((performance.now() - t0) / 1000));
        p.stats = Object.fromEntries(
          Object.entries(commandstats(await redis.info('commandstats'))).filter(([k]) => !/^(config|info)/.test(k)),
        ); // not the bench's own
      }
    }
    return procs.map((p, i) => {
      const total = Object.values(p.stats).reduce((a, b) => a + b, 0);
      log(
        `duplicates ${p.variant.name}: ${p.rates.map((r) => r.toFixed(0)).join(' ')} events/s; MONITOR over ${sample}: ${JSON.stringify(monitored[i])}; commandstats ${JSON.stringify(p.stats)} for ${opts.events} events`,
      );
      return {
        variant: p.variant.name,
        events: opts.events,
        eventsPerSecond: summarize(p.rates).median,
        roundTripsPerEvent: Object.values(monitored[i]!.client).reduce((a, b) => a + b, 0) / sample,
        monitored: { events: sample, ...monitored[i]! },
        redisCommandsPerEvent: total / opts.events,
        redisCommands: p.stats,
        concurrency: opts.concurrency,
        rounds: p.rates,
      };
    });
  } finally {
    redis.disconnect();
    for (const p of procs) {
      p.agent.destroy();
      await p.fp.kill();
    }
  }
}

/** The duplicate benchmark's yardstick (bench/redis-yardstick.ts), with the options of `like`. */
export function redisYardstick(like: Variant): Variant {
  return {
    name: `yardstick: node:http + one ioredis EVALSHA${like.env?.NODE_OPTIONS ? ', image NODE_OPTIONS' : ", Node's defaults"}`,
    command: process.execPath,
    args: ['--import', 'tsx', join(ROOT, 'bench/redis-yardstick.ts')],
    note: 'a bare node:http server answering after one EVALSHA',
    ...(like.env ? { env: like.env } : {}),
  };
}

export interface Calibration {
  /** spawn -> exit of `node -e 0`. */
  nodeStart: Summary;
  /**
   * spawn -> exit of a node that makes one HTTPS request to the API server with node:https
   * alone: what Node itself costs a function for its first request (loading http and tls,
   * building a TLS context with Node's root certificates, the handshake).
   */
  httpsRequest: Summary;
  /** spawn -> exit of a node that imports @kubernetes/client-node (naively, from node_modules). */
  clientNodeImport: Summary;
  clientNodeImportMB: number;
  /** VmRSS, RssAnon and RssFile (MB) of a bare node, as it exits. */
  bareNodeMB: { rss: number; anon: number; file: number };
}

function timeExit(args: string[]): Promise<{ ms: number; out: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve({ ms: performance.now() - t0, out }) : reject(new Error(`exit ${code}`))));
  });
}

/**
 * One GET of the API server's /version (public, so no credentials are needed; the answer does
 * not matter) and exit. A kubeconfig's CA or none costs Node the same: either way Node 20 builds
 * its store of ~140 root certificates for the process's first TLS context.
 */
const HTTPS_REQUEST = `require('node:https').get(new URL('/version', process.argv[1]), { rejectUnauthorized: false }, (r) => r.resume().on('end', () => process.exit(0))).on('error', (e) => { console.error(e.message); process.exit(1); })`;

/** What this machine does right now for a bare node and for client-node alone: the yardsticks. */
export async function calibrate(runs: number, apiServer: string): Promise<Calibration> {
  const bare: number[] = [];
  const https: number[] = [];
  const client: number[] = [];
  let mb = 0;
  for (let i = 0; i < runs; i++) {
    await sleep(200);
    bare.push((await timeExit(['-e', '0'])).ms);
    await sleep(200);
    https.push((await timeExit(['-e', HTTPS_REQUEST, apiServer])).ms);
    await sleep(200);
    const r = await timeExit([
      '--input-type=module',
      '-e',
      "await import('@kubernetes/client-node'); console.log(process.memoryUsage().rss)",
    ]);
    client.push(r.ms);
    mb = Number(r.out.trim()) / 2 ** 20;
  }
  const status = (await timeExit(['-p', "require('fs').readFileSync('/proc/self/status', 'utf8')"])).out;
  const kb = (field: string) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0) / 1024;
  return {
    nodeStart: summarize(bare),
    httpsRequest: summarize(https),
    clientNodeImport: summarize(client),
    clientNodeImportMB: mb,
    bareNodeMB: { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') },
  };
}
