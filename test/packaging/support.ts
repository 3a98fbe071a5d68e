import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ensureKubeBinaries } from '../../shared/local/cluster.js';

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
};

/** Every object in a multi-document YAML file. */
export function objectsIn(yaml: string): KubeObject[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => !!o && typeof o === 'object' && 'kind' in o);
}

/** All objects of the generated files under `prefix` (e.g. `knative/`), except kustomization and stack files. */
export function generatedObjects(files: Map<string, string>, prefix: string): KubeObject[] {
  return [...files]
    .filter(([path]) => path.startsWith(prefix) && path.endsWith('.yaml') && !path.endsWith('kustomization.yaml'))
    .flatMap(([, content]) => objectsIn(content));
}

export const RBAC_KINDS = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);

let kubectlPath: Promise<string> | undefined;
/** kubectl of the local cluster's release (built once by the test bed). */
export function kubectlBinary(): Promise<string> {
  kubectlPath ??= ensureKubeBinaries(() => {}).then((dir) => join(dir, 'kubectl'));
  return kubectlPath;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export async function kubectl(kubeconfig: string, args: string[], input?: string): Promise<Run> {
  const bin = await kubectlBinary();
  return new Promise((resolve, reject) => {
    const child = execFile(bin, ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      if (code === -1) reject(err!);
      else resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** kubectl that must succeed. */
export async function kubectlOk(kubeconfig: string, args: string[], input?: string): Promise<string> {
  const r = await kubectl(kubeconfig, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Runs `fn` over `items` with at most `n` in flight. */
export async function pool<T, R>(items: readonly T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/** Whether `actual` contains everything `expected` has (objects by key, arrays element-wise). */
export function missingFields(expected: unknown, actual: unknown, path = ''): string[] {
  if (expected === null || typeof expected !== 'object') {
    return expected === actual || String(expected) === String(actual)
      ? []
      : [`${path || '.'}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected a list, got ${JSON.stringify(actual)}`];
    return expected.flatMap((e, i) => missingFields(e, actual[i], `${path}[${i}]`));
  }
  if (actual === null || typeof actual !== 'object') return [`${path}: missing (expected an object)`];
  return Object.entries(expected).flatMap(([k, v]) =>
    k in (actual as object)
      ? missingFields(v, (actual as Record<string, unknown>)[k], `${path}.${k}`)
      : [`${path}.${k}: dropped by the server`],
  );
}

/** Spawns a process and resolves when `url` answers 200 (or rejects when the process exits first). */
export function spawnUntilHealthy(
  command: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd?: string; url: string; timeoutMs?: number },
): Promise<{ ms: number; child: ReturnType<typeof spawn>; output: () => string }> {
  const started = performance.now();
  const child = spawn(command, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    let done = false;
    const deadline = started + (opts.timeoutMs ?? 30_000);
    child.once('exit', (code) => {
      if (!done) {
        done = true;
        reject(new Error(`${command} ${args.join(' ')} exited ${code} before ${opts.url} answered: ${output}`));
      }
    });
    const poll = async () => {
      if (done) return;
      try {
        const res = await fetch(opts.url, { signal: AbortSignal.timeout(1000) });
        if (res.status === 200) {
          done = true;
          resolve({ ms: performance.now() - started, child, output: () => output });
          return;
        }
      } catch {
        // not listening yet
      }
      if (performance.now() > deadline) {
        done = true;
        child.kill('SIGKILL');
        reject(new Error(`${opts.url} did not answer 200 within ${opts.timeoutMs ?? 30_000}ms: ${output}`));
        return;
      }
      setTimeout(() => void poll(), 10);
    };
    void poll();
  });
}

/** Stops a child and waits for it to exit. */
export async function stop(child: ReturnType<typeof spawn>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}
