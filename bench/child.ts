import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { Agent, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HTTP } from 'cloudevents';
import type { CloudEvent } from 'cloudevents';
import { rawRequest } from '../test/support/http.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** How a function's process is started: the container's bundle, or the sources through tsx. */
export interface Variant {
  name: string;
  command: string;
  args: string[];
  note: string;
  /** Beside the function's own settings (NODE_OPTIONS). */
  env?: Record<string, string>;
}

export function tsxVariant(): Variant {
  return {
    name: 'tsx bin/function.ts',
    command: join(ROOT, 'node_modules/.bin/tsx'),
    args: [join(ROOT, 'bin/function.ts')],
    note: 'sources, compiled on the fly by tsx (npm run function)',
  };
}

/**
 * The bundle the container runs (`node dist/function.cjs`), built afresh by scripts/build.ts
 * (what `npm run build` runs) into a temporary directory, so that the figures are those of
 * the code as it is now; `useDist` measures an existing dist/function.cjs instead.
 */
export async function bundleVariant(
  log: (line: string) => void,
  useDist = false,
): Promise<{ variant: Variant; cleanup(): void } | undefined> {
  const dist = join(ROOT, 'dist/function.cjs');
  if (useDist) {
    if (!existsSync(dist)) throw new Error('--dist: dist/function.cjs does not exist (npm run build)');
    return {
      variant: { name: 'node dist/function.cjs', command: process.execPath, args: [dist], note: 'the existing dist/ of npm run build' },
      cleanup: () => {},
    };
  }
  if (!existsSync(join(ROOT, 'scripts/build.ts'))) return undefined;
  const outdir = mkdtempSync(join(tmpdir(), 'sluice-bench-dist-'));
  try {
    const { build } = await import('../scripts/build.js');
    // No code cache here: bench/run.ts writes one for each set of flags it measures.
    await build({ outdir, codeCache: false });
    log(`built the bundle (scripts/build.ts, as npm run build) into ${outdir}`);
    return {
      variant: {
        name: 'node function.cjs (bundle)',
        command: process.execPath,
        args: [join(outdir, 'function.cjs')],
        note: 'the esbuild bundle of npm run build (scripts/build.ts), built afresh by the bench',
      },
      cleanup: () => rmSync(outdir, { recursive: true, force: true }),
    };
  } catch (err) {
    log(`could not build the bundle: ${(err as Error).message}`);
    return undefined;
  }
}

export interface FunctionProcess {
  child: ChildProcess;
  port: number;
  output(): string;
  /** Resident memory (MB) of the process that serves (the deepest node process of the tree). */
  rssMB(): number;
  /** Of rssMB: anonymous memory (heap, malloc, stacks) and file-backed pages (the node binary's own). */
  rssSplitMB(): { anon: number; file: number };
  /** Resident memory (MB) of the whole process tree (tsx runs the sources in a child process). */
  treeRssMB(): number;
  kill(): Promise<void>;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // gone
  }
  return out;
}

function rssKB(pid: number, field = 'VmRSS'): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function tree(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(tree)];
}

/** Starts one function process in its own process group (so that it can be killed whole). */
export function spawnFunction(variant: Variant, env: Record<string, string>, port: number): FunctionProcess {
  const child = spawn(variant.command, variant.args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, ...variant.env, PORT: String(port) },
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const pid = child.pid!;
  return {
    child,
    port,
    output: () => output,
    rssMB: () => {
      const pids = tree(pid);
      return rssKB(pids[pids.length - 1]!) / 1024;
    },
    rssSplitMB: () => {
      const pids = tree(pid);
      const serving = pids[pids.length - 1]!;
      return { anon: rssKB(serving, 'RssAnon') / 1024, file: rssKB(serving, 'RssFile') / 1024 };
    },
    treeRssMB: () => tree(pid).reduce((n, p) => n + rssKB(p), 0) / 1024,
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          resolve();
        }
      }),
  };
}

export interface RawMessage {
  headers: Record<string, string>;
  body: string;
}

export function binary(ce: CloudEvent<unknown>): RawMessage {
  const m = HTTP.binary(ce);
  return { headers: m.headers as Record<string, string>, body: m.body as string };
}

/** One POST over node:http; `agent` false for a fresh connection. */
export function post(
  port: number,
  msg: RawMessage,
  agent: Agent | false = false,
  path = '/',
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return rawRequest(`http://127.0.0.1:${port}${path}`, { headers: msg.headers, body: msg.body, agent });
}

/** A function's reply to an event as `<outcome>: <reason>`: a 2xx reply says it in headers only. */
export const outcomeOf = (res: { headers: IncomingHttpHeaders; body: string }) =>
  `${String(res.headers['sluice-outcome'])}: ${String(res.headers['sluice-reason'] ?? '')}${res.body ? ` (body ${res.body})` : ''}`;

/**
 * Posts `msg` until the process answers 2xx; resolves with the time since `started` and the
 * reply's outcome (outcomeOf). Connection refused (not listening yet) is retried every `intervalMs`.
 */
export async function untilAnswered(
  fp: FunctionProcess,
  msg: RawMessage,
  started: number,
  timeoutMs = 30_000,
  intervalMs = 2,
): Promise<{ ms: number; outcome: string }> {
  const deadline = started + timeoutMs;
  for (;;) {
    if (fp.child.exitCode !== null) throw new Error(`function exited (${fp.child.exitCode}): ${fp.output()}`);
    try {
      const res = await post(fp.port, msg);
      if (res.status >= 200 && res.status < 300) return { ms: performance.now() - started, outcome: outcomeOf(res) };
      throw new Error(`answered ${res.status}: ${res.body}`);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'ECONNREFUSED' && code !== 'ECONNRESET') throw err;
    }
    if (performance.now() > deadline) throw new Error(`no answer within ${timeoutMs} ms: ${fp.output()}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const keepAlive = (maxSockets: number) => new Agent({ keepAlive: true, maxSockets });
