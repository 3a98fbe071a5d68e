import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { USERS, type User } from '../../shared/local/cluster.js';

/** Coordinates of the shared test bed that test/global-setup.ts starts once per run. */
export interface TestBed {
  /** Temporary directory of this run (cluster state, logs, redis). */
  dir: string;
  /** https://127.0.0.1:<port> of kube-apiserver. */
  server: string;
  /** Admin kubeconfig (system:masters). */
  kubeconfig: string;
  /** Kubeconfig per static user: admin, and alice and bob who have no RBAC grants. */
  kubeconfigs: Record<User, string>;
  tokens: Record<User, string>;
  redisUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    sluiceBed: TestBed;
  }
}

export type { User };

/** The test bed: from vitest's provide/inject, else from the SLUICE_TEST_* variables. */
export function testBed(): TestBed {
  let provided: TestBed | undefined;
  try {
    provided = inject('sluiceBed');
  } catch {
    // not inside a vitest worker
  }
  if (provided) return provided;
  const kubeconfig = process.env.SLUICE_TEST_KUBECONFIG;
  const redisUrl = process.env.SLUICE_TEST_REDIS_URL;
  const tokens = process.env.SLUICE_TEST_TOKENS;
  if (!kubeconfig || !redisUrl || !tokens) {
    throw new Error(
      'no test bed: run through vitest (test/global-setup.ts) or set SLUICE_TEST_KUBECONFIG, SLUICE_TEST_REDIS_URL, SLUICE_TEST_TOKENS',
    );
  }
  const dir = process.env.SLUICE_TEST_DIR ?? dirname(kubeconfig);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return {
    dir,
    server: kc.getCurrentCluster()?.server ?? '',
    kubeconfig,
    kubeconfigs: Object.fromEntries(
      USERS.map((u) => [u, u === 'admin' ? kubeconfig : join(dirname(kubeconfig), `kubeconfig-${u}`)]),
    ) as Record<User, string>,
    tokens: JSON.parse(tokens) as Record<User, string>,
    redisUrl,
  };
}

/** A KubeConfig for one of the bed's users (default admin). */
export function kubeConfig(user: User = 'admin'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(testBed().kubeconfigs[user]);
  return kc;
}

/** Polls `check` until it returns something other than undefined/false; fails with its last error. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A fresh namespace named `<prefix>-<random>`, returned once its default service account
 * exists: pods are refused until then.
 */
export async function createTestNamespace(prefix: string): Promise<string> {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name, labels: { 'sluice.dev/test': prefix } } } });
  await eventually(
    async () => !!(await core.readNamespacedServiceAccount({ name: 'default', namespace: name })),
    30_000,
    `default service account in ${name}`,
  );
  return name;
}

export async function deleteTestNamespace(name: string): Promise<void> {
  await kubeConfig()
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name })
    .catch(() => undefined);
}
