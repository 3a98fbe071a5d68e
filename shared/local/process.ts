import { spawn } from 'node:child_process';
import { accessSync, appendFileSync, closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A long-running child process (etcd, kube-apiserver, redis...) whose output goes to a log file. */
export interface Daemon {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
  readonly running: boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Daemon>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

// An interrupted test run or `npm start` must not leave etcd and kube-apiserver behind.
// 'exit' handlers cannot wait, so they only send SIGTERM: every daemon here obeys it.
function killAll(): void {
  for (const d of live) {
    try {
      process.kill(d.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}
function onSignal(signal: NodeJS.Signals): void {
  killAll();
  uninstall();
  // Re-raise so the default behaviour (or another handler) still ends the process.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}
let installed = false;
function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}
function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', killAll);
  for (const s of SIGNALS) process.off(s, onSignal);
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

export function spawnDaemon(name: string, command: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): Daemon {
  const fd = openSync(logFile, 'a');
  // Handlers cannot run when this process is SIGKILLed (a CI timeout): setpriv (util-linux)
  // asks the kernel to kill the daemon when its parent dies. It execs, so the pid is the daemon's.
  const [cmd, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, args];
  const child = spawn(cmd, argv, { stdio: ['ignore', fd, fd], env: env ?? process.env });
  closeSync(fd);
  let running = true;
  let spawnError: Error | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      running = false;
      resolve(-1);
    });
    child.once('exit', (code, signal) => {
      running = false;
      resolve(code ?? signal ?? -1);
    });
  });
  if (child.pid === undefined) {
    // ENOENT and friends: spawn() reports them asynchronously, but pid is already missing.
    throw new Error(`${name}: could not start ${command}`);
  }
  const daemon: Daemon = {
    name,
    pid: child.pid,
    logFile,
    exited,
    get running() {
      return running;
    },
    async stop(graceMs = 10_000) {
      if (running) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => running && child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      live.delete(daemon);
      if (live.size === 0) uninstall();
    },
  };
  void exited.then(() => {
    live.delete(daemon);
    if (live.size === 0) uninstall();
    if (spawnError) appendNote(logFile, `spawn failed: ${spawnError.message}`);
  });
  live.add(daemon);
  install();
  return daemon;
}

function appendNote(file: string, line: string): void {
  try {
    appendFileSync(file, `${line}\n`);
  } catch {
    // best effort: the log is only for humans
  }
}

/** Absolute path of `command` on PATH (or in sbin), else an error naming the Debian package. */
export function requireCommand(command: string, debianPackage: string): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const path = join(dir, command);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  throw new Error(`'${command}' not found: install the Debian package '${debianPackage}' (apt-get install ${debianPackage})`);
}

export function logTail(file: string, lines = 25): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Polls `check` until it returns a value other than undefined. Fails early, with the tail of
 * its log, when one of `watch` exits meanwhile: a crashed etcd should not cost a timeout.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  opts: { timeoutMs?: number; intervalMs?: number; watch?: Daemon[] } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    for (const d of opts.watch ?? []) {
      if (!d.running) throw new Error(`${d.name} exited while waiting for ${what}; end of ${d.logFile}:\n${logTail(d.logFile)}`);
    }
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}

/**
 * Kills processes listed in a pids file by an earlier run that died without cleaning up
 * (SIGKILL of the parent). Only when their command line still names `marker` (our dir),
 * so a recycled pid of an unrelated process is left alone.
 */
export async function killStale(pidsFile: string, marker: string): Promise<void> {
  if (!existsSync(pidsFile)) return;
  let pids: Record<string, number>;
  try {
    pids = JSON.parse(readFileSync(pidsFile, 'utf8')) as Record<string, number>;
  } catch {
    return;
  }
  for (const pid of Object.values(pids)) {
    if (typeof pid !== 'number') continue;
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) continue;
      process.kill(pid, 'SIGKILL');
    } catch {
      continue; // not running
    }
    // etcd holds a lock on its data dir until it is really gone.
    await waitFor(`stale process ${pid} to end`, async () => (alive(pid) ? undefined : true), { timeoutMs: 10_000, intervalMs: 50 });
  }
}

/** A zombie (state Z: dead, not yet reaped by a init that never reaps) counts as gone. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
