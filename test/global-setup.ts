import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startLocalCluster } from '../shared/local/cluster.js';
import { startPodSimulator } from '../shared/local/pod-simulator.js';
import type { TestBed } from './bed/env.js';
import { startRedis } from './bed/redis.js';

/**
 * The real test bed in `dir`: etcd + kube-apiserver + kube-controller-manager, the pod
 * simulator and redis-server. The first start builds the Kubernetes binaries (minutes);
 * later ones take seconds. Also used by scripts/test-bed.ts.
 */
export async function startTestBed(dir: string, log: (line: string) => void): Promise<{ bed: TestBed; stop(): Promise<void> }> {
  const cluster = await startLocalCluster({ dir, log });
  const stops: (() => Promise<void>)[] = [() => cluster.stop()];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((e: unknown) => log(`teardown: ${String(e)}`));
  };
  try {
    const simulator = await startPodSimulator(cluster.kubeconfig, { log: (line) => log(`pod-simulator: ${line}`) });
    stops.push(() => simulator.stop());
    const redis = await startRedis(join(dir, 'redis'));
    stops.push(() => redis.stop());
    const bed: TestBed = {
      dir,
      server: cluster.server,
      kubeconfig: cluster.kubeconfig,
      kubeconfigs: { admin: cluster.kubeconfig, alice: cluster.kubeconfigFor('alice'), bob: cluster.kubeconfigFor('bob') },
      tokens: cluster.tokens,
      redisUrl: redis.url,
    };
    return { bed, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The SLUICE_TEST_* variables for code that reads the environment (test forks inherit them). */
export function bedEnvironment(bed: TestBed): Record<string, string> {
  return {
    SLUICE_TEST_DIR: bed.dir,
    SLUICE_TEST_KUBECONFIG: bed.kubeconfig,
    SLUICE_TEST_REDIS_URL: bed.redisUrl,
    SLUICE_TEST_TOKENS: JSON.stringify(bed.tokens),
  };
}

/**
 * vitest globalSetup: one bed per run in a fresh temporary directory, handed to tests via
 * provide/inject and the environment (read it with testBed() from test/bed/env.ts).
 * SLUICE_TEST_KEEP=1 keeps the directory (logs, etcd data) after the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => process.stderr.write(`[test-bed] ${line}\n`);
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-test-'));
  log(`starting in ${dir}`);
  const { bed, stop } = await startTestBed(dir, log).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  project.provide('sluiceBed', bed);
  Object.assign(process.env, bedEnvironment(bed));
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ${bed.server}, ${bed.redisUrl}`);
  return async () => {
    await stop();
    if (!process.env.SLUICE_TEST_KEEP) rmSync(dir, { recursive: true, force: true });
  };
}
