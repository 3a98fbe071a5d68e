/**
 * The benchmarks (npm run bench): against a private local cluster (etcd + kube-apiserver +
 * kube-controller-manager), the pod simulator and redis-server, all started here in a
 * temporary directory. Prints a Markdown table (BENCHMARKS.md keeps the reference one).
 *
 *   npm run bench [-- --only cold,memory,duplicates,latency,requests,resync,scale,flink] [--scale-n 10000] [--runs 10] [--flink-runs 3]
 *                 [--resync-n 5000] [--json out.json] [--markdown out.md] [--no-tsx] [--dist]
 *                 [--v8-flags='--max-lazy']   (more V8 flags to try; with '=': the value starts with a dash)
 *
 * The machine is shared and noisy: every figure is a median of several runs, and the
 * machine (nproc, CPU model, Node, load) is printed with the table.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { imageNodeOptions } from '../scripts/generate-manifests.js';
import { type Variant, bundleVariant, tsxVariant } from './child.js';
import { type BenchEnv, machine, startBenchEnv } from './env.js';
import { type LifecycleRequests, apiRequestsBench } from './api-requests.js';
import {
  type Calibration,
  type ColdStart,
  type Duplicates,
  type Memory,
  calibrate,
  coldStart,
  duplicates,
  functionFixture,
  memory,
  redisYardstick,
} from './functions.js';
import { type Latency, latencyBench } from './latency.js';
import { type RealFlinkLatency, realFlinkBench } from './real-flink.js';
import { type ResyncFigures, resyncBench } from './resync.js';
import { type ScaleFigures, scaleBench } from './scale.js';
import { type Summary, ms } from './stats.js';

const ALL = ['cold', 'memory', 'duplicates', 'latency', 'requests', 'resync', 'scale', 'flink'] as const;
type Part = (typeof ALL)[number];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    runs: { type: 'string', default: '10' },
    'flink-runs': { type: 'string', default: '3' },
    'resync-n': { type: 'string', default: '5000' },
    'resync-small': { type: 'string', default: '100' },
    'scale-n': { type: 'string', default: '10000' },
    'dup-events': { type: 'string', default: '10000' },
    json: { type: 'string' },
    markdown: { type: 'string' },
    'no-tsx': { type: 'boolean', default: false },
    dist: { type: 'boolean', default: false },
    'v8-flags': { type: 'string', default: '' },
  },
  strict: true,
});
const parts = new Set<Part>((values.only ? values.only.split(',') : ALL) as Part[]);
for (const p of parts) if (!ALL.includes(p)) throw new Error(`--only: unknown part ${p} (one of ${ALL.join(', ')})`);
const runs = Number(values.runs);

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

interface Results {
  machine: ReturnType<typeof machine>;
  calibration?: Calibration;
  cold: ColdStart[];
  memory: Memory[];
  duplicates: Duplicates[];
  latency?: Latency;
  resync: ResyncFigures[];
  realFlink: RealFlinkLatency[];
  requests?: LifecycleRequests;
  scale?: ScaleFigures;
}

async function main() {
  const results: Results = { machine: machine(), cold: [], memory: [], duplicates: [], resync: [], realFlink: [] };
  log(`machine: ${JSON.stringify(results.machine)}`);
  const started = performance.now();
  const env: BenchEnv = await startBenchEnv(log);
  const cleanups: (() => void)[] = [];
  log(`environment ready in ${((performance.now() - started) / 1000).toFixed(1)} s (${env.dir})`);
  try {
    if (parts.has('cold')) results.calibration = await calibrate(runs, env.cluster.server);
    let apiVariant: Variant | undefined;
    if (parts.has('cold') || parts.has('memory') || parts.has('duplicates') || parts.has('scale')) {
      const variants: Variant[] = [];
      const bundle = await bundleVariant(log, values.dist);
      if (bundle) {
        cleanups.push(bundle.cleanup);
        const v = bundle.variant;
        const dist = dirname(v.args[v.args.length - 1]!);
        // V8 takes a code cache only from a process with the same flags: one is written for each set.
        const { writeCodeCache } = await import('../scripts/build.js');
        const cacheFor = (nodeArgs: string[], env: Record<string, string> = {}) =>
          writeCodeCache(dist, nodeArgs, { PATH: process.env.PATH, ...env });
        // As the image runs it: with the Dockerfile's NODE_OPTIONS (V8 sized for the container).
        const image = { NODE_OPTIONS: imageNodeOptions() };
        cacheFor([], image);
        variants.push({
          ...v,
          name: `${v.name}, image NODE_OPTIONS`,
          env: image,
          note: `${v.note}, with NODE_OPTIONS="${image.NODE_OPTIONS}"`,
        });
        apiVariant = variants[0];
        // With Node's defaults: what those options cost and save.
        cacheFor([]);
        variants.push({ ...v, name: `${v.name}, Node's defaults`, note: `${v.note}, without NODE_OPTIONS` });
        // The bundle itself, without the loader and its code cache: what the cache saves.
        const lib = join(dist, 'lib', 'function.cjs');
        variants.push({
          ...v,
          name: 'node lib/function.cjs (bundle without the code cache), image NODE_OPTIONS',
          args: [lib],
          env: image,
          note: `${v.note}, started without bin/start.ts`,
        });
        // Other V8 flags to try, on the command line beside the image's NODE_OPTIONS.
        const extra = values['v8-flags'].split(' ').filter(Boolean);
        if (extra.length > 0) {
          cacheFor(extra, image);
          variants.push({
            ...v,
            name: `${v.name}, image NODE_OPTIONS + ${extra.join(' ')}`,
            args: [...extra, ...v.args],
            env: image,
            note: `${v.note}, with ${extra.join(' ')}`,
          });
        }
      }
      if (!values['no-tsx']) variants.push(tsxVariant());
      if (!(parts.has('cold') || parts.has('memory') || parts.has('duplicates'))) variants.length = 0;
      const ff = await functionFixture(env);
      try {
        let offset = 0;
        for (const v of variants) {
          if (parts.has('cold')) {
            results.cold.push(await coldStart(ff, v, runs, offset, log));
            offset += runs;
          }
          if (parts.has('memory')) results.memory.push(await memory(ff, v, log));
          if (parts.has('duplicates')) {
            // Beside the yardstick with the same NODE_OPTIONS, rounds alternating: the ratio is the figure.
            const opts = { events: Number(values['dup-events']), concurrency: 32, rounds: 5 };
            const [d, yardstick] = await duplicates(ff, [v, redisYardstick(v)], env.redis.url, opts, log);
            results.duplicates.push({ ...d!, yardstick });
          }
        }
      } finally {
        await ff.f.close();
      }
    }
    if (parts.has('latency')) results.latency = await latencyBench(env, runs * 2, log);
    if (parts.has('requests')) results.requests = await apiRequestsBench(env, log);
    if (parts.has('resync')) {
      // A small warm-up first (JIT, connections, caches), not reported: else the first size measured pays for it.
      await resyncBench(env, 50, 1, (l) => log(`(warm-up) ${l}`));
      for (const n of [Number(values['resync-small']), Number(values['resync-n'])]) results.resync.push(await resyncBench(env, n, 3, log));
    }
    if (parts.has('scale')) {
      if (!apiVariant) throw new Error('scale: the bundle could not be built');
      results.scale = await scaleBench(env, apiVariant, [100, Number(values['scale-n'])], runs * 3, log);
    }
    if (parts.has('flink'))
      for (const v of ['1.20', '2.3']) results.realFlink.push(await realFlinkBench(env, Number(values['flink-runs']), v, log));
  } finally {
    for (const c of cleanups) c();
    await env.stop();
  }
  const table = markdown(results);
  process.stdout.write(`${table}\n`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
  if (values.markdown) writeFileSync(values.markdown, `${table}\n`);
}

const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

function markdown(r: Results): string {
  const m = r.machine;
  const lines = [
    `Machine: ${m.nproc} cores (nproc), ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node}, Linux ${m.kernel}, load ${m.loadavg} at start, ${m.date.slice(0, 10)}.`,
    '',
    '| figure | target | measured (median) | spread (p10–p90, n) | |',
    '|---|---|---|---|---|',
  ];
  if (r.calibration) {
    const c = r.calibration;
    lines.push(
      `| (yardstick: spawn → exit of \`node -e 0\`) | | ${ms(c.nodeStart.median)} | ${ms(c.nodeStart.p10)}–${ms(c.nodeStart.p90)}, n=${c.nodeStart.n} | |`,
    );
    const h = c.httpsRequest;
    lines.push(
      `| (yardstick: spawn → exit of a node that makes one HTTPS request to the API server, node:https alone) | | ${ms(h.median)}: ${(h.median / c.nodeStart.median).toFixed(2)}× \`node -e 0\` | ${ms(h.p10)}–${ms(h.p90)}, n=${h.n} | |`,
    );
    lines.push(
      `| (yardstick: RSS of a bare node) | | ${c.bareNodeMB.rss.toFixed(0)} MB | anonymous ${c.bareNodeMB.anon.toFixed(0)} MB, file-backed ${c.bareNodeMB.file.toFixed(0)} MB | |`,
    );
    lines.push(
      `| (yardstick: spawn → exit of node importing @kubernetes/client-node) | | ${ms(c.clientNodeImport.median)}, ${c.clientNodeImportMB.toFixed(0)} MB | ${ms(c.clientNodeImport.p10)}–${ms(c.clientNodeImport.p90)} | |`,
    );
  }
  for (const c of r.cold) {
    const ratio = c.firstEvent.median / c.bareNode.median;
    lines.push(
      `| cold start, spawn → first CloudEvent 2xx: ${c.variant} | <= 2.0× \`node -e 0\` | ${ms(c.firstEvent.median)}: ${ratio.toFixed(2)}× \`node -e 0\` (${ms(c.bareNode.median)}, timed before each run) | ${ms(c.firstEvent.p10)}–${ms(c.firstEvent.p90)}, n=${c.firstEvent.n}; \`node -e 0\` ${ms(c.bareNode.p10)}–${ms(c.bareNode.p90)} | ${verdict(ratio <= 2)} |`,
    );
    lines.push(`| (of which spawn → /healthz answers) | | ${ms(c.listening.median)} | ${ms(c.listening.p10)}–${ms(c.listening.p90)} | |`);
  }
  for (const x of r.memory) {
    lines.push(
      `| RSS after 1,000 events: ${x.variant} | <= 64 MB | ${x.after1000MB.toFixed(0)} MB (anonymous ${x.after1000.anon.toFixed(0)}, file-backed ${x.after1000.file.toFixed(0)}) | idle ${x.idleMB.toFixed(0)} MB; process tree ${x.treeAfter1000MB.toFixed(0)} MB; ${x.eventsPerSecond.toFixed(0)} real events/s | ${verdict(x.after1000MB <= 64)} |`,
    );
  }
  const list = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k}×${v}`)
      .join(', ') || 'none';
  for (const d of r.duplicates) {
    const y = d.yardstick;
    const share = y ? d.eventsPerSecond / y.eventsPerSecond : NaN;
    lines.push(
      `| duplicate event: ${d.variant} | 1 Redis round trip, >= 60 % of the yardstick | ${d.roundTripsPerEvent.toFixed(2)} round trips/event, ${d.eventsPerSecond.toFixed(0)} events/s: ${(share * 100).toFixed(0)} % of ${y ? `${y.eventsPerSecond.toFixed(0)}/s (${y.variant}, ${y.roundTripsPerEvent.toFixed(2)} round trips/event)` : 'no yardstick'} | ` +
        `MONITOR, ${d.monitored.events} duplicates: sent ${list(d.monitored.client)} (inside the script: ${list(d.monitored.script)}); ${d.events} events × ${d.rounds.length} rounds (alternating with the yardstick's) over ${d.concurrency} connections | ` +
        `${verdict(d.roundTripsPerEvent <= 1.0001 && share >= 0.6)} |`,
    );
  }
  if (r.latency) {
    const l = r.latency;
    lines.push(
      `| REST POST (RUNNING) → pods exist, single-process | <= 300 ms | ${ms(l.postToPods.median)} | ${ms(l.postToPods.p10)}–${ms(l.postToPods.p90)}, n=${l.postToPods.n} | ${verdict(l.postToPods.median <= 300)} |`,
    );
    lines.push(
      `| pods Ready → Deployment RUNNING | <= 200 ms | ${ms(l.readyToRunning.median)} | ${ms(l.readyToRunning.p10)}–${ms(l.readyToRunning.p90)}, n=${l.readyToRunning.n} | ${verdict(l.readyToRunning.median <= 200)} |`,
    );
    lines.push(
      `| (REST POST → Deployment RUNNING) | | ${ms(l.postToRunning.median)} | ${ms(l.postToRunning.p10)}–${ms(l.postToRunning.p90)} | |`,
    );
  }
  if (r.resync.length > 0) {
    const small = r.resync[0]!;
    const big = r.resync[r.resync.length - 1]!;
    for (const run of big.runs) {
      const ref = small.runs.find((x) => x.fn === run.fn && x.kind === run.kind)!;
      const ratio = run.perEventMs / ref.perEventMs;
      const all = run.objects === big.n && ref.objects === small.n;
      lines.push(
        `| full resync, ${run.fn} (${run.kind}), ${big.n} deployments | <= 30 s; per event <= 1.5× of ${small.n} | ${run.seconds.toFixed(1)} s, ${run.perEventMs.toFixed(2)} ms/event | ${small.n}: ${ref.seconds.toFixed(2)} s, ${ref.perEventMs.toFixed(2)} ms/event; ratio ${ratio.toFixed(2)}${all ? '' : `; **saw only ${run.objects} of ${big.n} objects**`} | ${verdict(all && run.seconds <= 30 && ratio <= 1.5)} |`,
      );
    }
  }
  if (r.scale && r.scale.points.length > 1) {
    const [small, big] = [r.scale.points[0]!, r.scale.points[r.scale.points.length - 1]!];
    const at = `${big.deployments} deployments in ${big.vnamespaces} vNamespaces`;
    const vs = (what: string, a: Summary, b: Summary) => {
      const ratio = b.median / a.median;
      lines.push(
        `| ${what} p50, ${at} | <= 2× of ${small.deployments} | ${ms(b.median)}: ${ratio.toFixed(2)}× | ${small.deployments}: ${ms(a.median)}; ${big.deployments}: ${ms(b.p10)}–${ms(b.p90)}, n=${b.n} | ${verdict(ratio <= 2)} |`,
      );
    };
    vs("REST list of one vNamespace's deployments (10)", small.restList, big.restList);
    vs("console's Deployments page (its vNamespace's deployments and targets)", small.consoleList, big.consoleList);
    const y = big.apiServerList.median / small.apiServerList.median;
    lines.push(
      `| (yardstick: the API server's label-selected list Sluice makes, without Sluice) | | ${ms(big.apiServerList.median)}: ${y.toFixed(2)}× | ${small.deployments}: ${ms(small.apiServerList.median)} | |`,
    );
    const nl = big.namespacesList.median / small.namespacesList.median;
    lines.push(
      `| (the list of every vNamespace, api function: the console's switcher makes it when reached for, not a page load; ${big.vnamespaces} against ${small.vnamespaces}) | | ${ms(big.namespacesList.median)}: ${nl.toFixed(2)}× | ${small.deployments}: ${ms(small.namespacesList.median)} | |`,
    );
    const yn = big.apiServerNamespacesList.median / small.apiServerNamespacesList.median;
    lines.push(
      `| (yardstick: the API server's VNamespace list Sluice makes for it, without Sluice) | | ${ms(big.apiServerNamespacesList.median)}: ${yn.toFixed(2)}× | ${small.deployments}: ${ms(small.apiServerNamespacesList.median)} | |`,
    );
    for (const run of big.resync) {
      const ref = small.resync.find((x) => x.fn === run.fn && x.kind === run.kind)!;
      lines.push(
        `| full resync, ${run.fn} (${run.kind}), ${at} | <= 60 s | ${run.seconds.toFixed(1)} s | ${small.deployments}: ${ref.seconds.toFixed(2)} s; ${run.objects} objects (${run.settled} settled); CPU ms per object: ${Object.entries(
          run.cpu,
        )
          .map(([k, v]) => `${k} ${((v * 1000) / Math.max(1, run.objects)).toFixed(1)}`)
          .join(', ')} | ${verdict(run.seconds <= 60 && run.objects === big.deployments)} |`,
      );
    }
    const rss = big.apiRssMB / small.apiRssMB;
    lines.push(
      `| api function's RSS after the lists, ${at} | <= 1.5× of ${small.deployments} | ${big.apiRssMB.toFixed(0)} MB: ${rss.toFixed(2)}× | ${small.deployments}: ${small.apiRssMB.toFixed(0)} MB | ${verdict(rss <= 1.5)} |`,
    );
    lines.push(`| (creating them: ${r.scale.points.map((p) => `${p.deployments}: ${p.createSeconds.toFixed(0)} s`).join(', ')}) | | | | |`);
  }
  for (const f of r.realFlink) {
    const row = (what: string, x: Summary) => lines.push(`| ${what} | | ${ms(x.median)} | ${ms(x.p10)}–${ms(x.p90)}, n=${x.n} | |`);
    row(`REST POST → Flink's job RUNNING, real Flink ${f.flinkVersion}`, f.postToFlinkRunning);
    row('(of which POST → pods exist: Sluice)', f.postToPods);
    row("(of which pods exist → Flink's job RUNNING: the JVMs' start and Flink)", f.podsToFlinkRunning);
    row("(Flink's job RUNNING → Deployment RUNNING: Sluice; negative when Sluice said RUNNING first)", f.flinkRunningToDeploymentRunning);
  }
  if (r.requests) {
    const t = r.requests.total;
    const all = t.reads + t.writes + t.refused + t.watches;
    lines.push(
      `| Kubernetes API requests, one lifecycle (create → RUNNING → suspend → resume → cancel → delete) | <= 1.5× its writes | ${all} (${t.writes} writes made, ${t.refused} refused, ${t.reads} reads, ${t.watches} watches opened): ${(all / t.writes).toFixed(2)}× | ${r.requests.phases.map((p) => `${p.phase}: ${p.counts.writes}w/${p.counts.refused}x/${p.counts.reads}r`).join('; ')} | ${verdict(all <= 1.5 * t.writes)} |`,
    );
    lines.push('', '| request (Sluice → kube-apiserver), one lifecycle | count |', '|---|---|');
    for (const [k, v] of Object.entries(t.byRequest).sort((a, b) => b[1] - a[1])) lines.push(`| ${k} | ${v} |`);
    lines.push('');
  }
  return lines.join('\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
