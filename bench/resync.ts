/**
 * A full resync (what PingSource triggers, and what repairs lost events) of applyPatchSet
 * and deploymentStep over N Deployments, created directly as FlinkDeployment CRs through
 * the Platform service. Per-event cost = total / objects; compared between N=100 and N=5000.
 */
import type { SluiceFunction } from '../shared/runtime/define.js';
import { resync } from '../shared/runtime/resync.js';
import type { BenchEnv } from './env.js';
import { createDeployments, platformFixture } from './fixture.js';
import { median } from './stats.js';

export interface ResyncRun {
  fn: string;
  /** 'first': every object needs a write; 'steady': nothing changed since the last resync. */
  kind: 'first' | 'steady';
  objects: number;
  seconds: number;
  perEventMs: number;
}

export interface ResyncFigures {
  n: number;
  createSeconds: number;
  runs: ResyncRun[];
}

async function timed(
  fn: SluiceFunction,
  ctx: Parameters<typeof resync>[1],
  kind: 'first' | 'steady',
  expected: number,
): Promise<ResyncRun> {
  const t0 = performance.now();
  const summary = await resync(fn, ctx);
  const seconds = (performance.now() - t0) / 1000;
  if (summary.failed > 0) throw new Error(`resync of ${fn.name}: ${summary.failed} of ${summary.objects} failed`);
  // Reported, not thrown: a resync that misses objects is a finding (the table marks it).
  if (summary.objects !== expected) process.stderr.write(`[bench] resync of ${fn.name} saw ${summary.objects} objects, not ${expected}\n`);
  return { fn: fn.name, kind, objects: summary.objects, seconds, perEventMs: (seconds * 1000) / Math.max(1, summary.objects) };
}

export async function resyncBench(env: BenchEnv, n: number, steadyRounds: number, log: (l: string) => void): Promise<ResyncFigures> {
  const f = await platformFixture(env.kube, env.redis.url, `sluice-bench-rs-${n}`, `bench-rs-${n}`);
  try {
    const t0 = performance.now();
    await createDeployments(f, 'rs', n, 'CANCELLED');
    const createSeconds = (performance.now() - t0) / 1000;
    log(`resync ${n}: created ${n} deployments in ${createSeconds.toFixed(1)} s`);
    const fns = [
      (await import('../functions/applyPatchSet/index.js')).default,
      (await import('../functions/deploymentStep/index.js')).default,
    ];
    const runs: ResyncRun[] = [];
    for (const fn of fns) {
      const r = await timed(fn, f.ctx, 'first', n);
      log(`resync ${n}: ${fn.name} first ${r.seconds.toFixed(2)} s (${r.perEventMs.toFixed(2)} ms/object)`);
      runs.push(r);
    }
    for (const fn of fns) {
      const rounds: ResyncRun[] = [];
      for (let i = 0; i < steadyRounds; i++) rounds.push(await timed(fn, f.ctx, 'steady', n));
      const mid = [...rounds].sort((a, b) => a.seconds - b.seconds)[Math.floor(rounds.length / 2)]!;
      log(
        `resync ${n}: ${fn.name} steady ${rounds.map((r) => r.seconds.toFixed(2)).join(' ')} s (median ${median(rounds.map((r) => r.perEventMs)).toFixed(2)} ms/object)`,
      );
      runs.push(mid);
    }
    return { n, createSeconds, runs };
  } finally {
    await f.close();
  }
}
