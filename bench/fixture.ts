import { settingsSchema, type Settings } from '../shared/config.js';
import type { Kube } from '../shared/kube/client.js';
import { createLogger } from '../shared/log.js';
import { installPlatform } from '../shared/vvp/bootstrap.js';
import type { FunctionContext } from '../shared/runtime/define.js';
import { createContext } from '../shared/runtime/define.js';
import { type CoordinationStore, RedisStore } from '../shared/runtime/store.js';
import type { DeploymentResource, TargetResource } from '../shared/model/index.js';
import { Platform } from '../shared/vvp/service.js';
import { topSpeedWindowingBody } from '../test/support/top-speed-windowing.js';

export const VNS = 'bench';

/** A Deployment as the REST API takes it (VVP's TopSpeedWindowing example, renamed), in the bench's vNamespace. */
export const deploymentBody = (name: string, targetId: string, state?: 'RUNNING' | 'CANCELLED' | 'SUSPENDED') =>
  topSpeedWindowingBody(VNS, name, targetId, state);

export interface Fixture {
  ctx: FunctionContext;
  settings: Settings;
  store: CoordinationStore;
  platform: Platform;
  target: TargetResource;
  close(): Promise<void>;
}

/**
 * An installed platform namespace (CRDs, default vNamespace) with one Deployment Target of
 * vNamespace `bench` pointing at `targetNamespace`; objects are written through the same
 * Platform service the REST API uses, without HTTP.
 */
export async function platformFixture(kube: Kube, redisUrl: string, platformNamespace: string, targetNamespace: string): Promise<Fixture> {
  const settings = settingsSchema.parse({ platformNamespace, redisUrl, logLevel: 'silent', auth: 'off' });
  const store = new RedisStore(redisUrl, platformNamespace);
  const ctx = createContext(settings, kube, store, createLogger('silent'));
  await installPlatform(ctx);
  const platform = new Platform(kube, settings);
  const target =
    (await platform.findTarget(VNS, 'bench-target')) ??
    (await platform.createTarget(VNS, {
      metadata: { name: 'bench-target', namespace: VNS },
      spec: { kubernetes: { namespace: targetNamespace } },
    }));
  return { ctx, settings, store, platform, target, close: () => store.close() };
}

/** Runs `fn` over 0..n-1 with at most `concurrency` in flight. */
export async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** Creates `n` Deployments named `<prefix>-<i>` through the Platform service (idempotent). */
export async function createDeployments(
  f: Fixture,
  prefix: string,
  n: number,
  state: 'RUNNING' | 'CANCELLED' | 'SUSPENDED',
): Promise<DeploymentResource[]> {
  const out: DeploymentResource[] = [];
  await pool(n, 16, async (i) => {
    const name = `${prefix}-${i}`;
    const existing = await f.platform.findDeployment(VNS, name);
    out.push(existing ?? (await f.platform.createDeployment(VNS, deploymentBody(name, f.target.spec.metadata.id, state))));
  });
  return out;
}
