import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { TypedKube } from '../shared/kube/typed.js';
import { type LocalCluster, startLocalCluster } from '../shared/local/cluster.js';
import { type PodSimulator, startPodSimulator } from '../shared/local/pod-simulator.js';
import { type TestRedis, startRedis } from '../test/bed/redis.js';

/** What the benchmarks run against: a private cluster, pod simulator and Redis in a temp dir. */
export interface BenchEnv {
  dir: string;
  cluster: LocalCluster;
  kubeconfig: string;
  redis: TestRedis;
  kube: TypedKube;
  stop(): Promise<void>;
}

export async function startBenchEnv(log: (line: string) => void): Promise<BenchEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((e: unknown) => log(`teardown: ${String(e)}`));
    if (!process.env.SLUICE_BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const cluster = await startLocalCluster({ dir: join(dir, 'cluster'), log: (l) => log(`cluster: ${l}`) });
    stops.push(() => cluster.stop());
    const simulator: PodSimulator = await startPodSimulator(cluster.kubeconfig, { log: (l) => log(`pod-simulator: ${l}`) });
    stops.push(() => simulator.stop());
    const redis = await startRedis(join(dir, 'redis'));
    stops.push(() => redis.stop());
    return { dir, cluster, kubeconfig: cluster.kubeconfig, redis, kube: TypedKube.fromFile(cluster.kubeconfig), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface Machine {
  nproc: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  date: string;
  kernel: string;
  loadavg: string;
}

/** The machine, as BENCHMARKS.md notes it. */
export function machine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // keep os.cpus()
  }
  let kernel = '';
  try {
    kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  } catch {
    // not essential
  }
  return {
    nproc,
    cpu: model,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    date: new Date().toISOString(),
    kernel,
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}
