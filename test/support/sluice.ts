import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createApi } from '../../functions/api/index.js';
import { loadAll } from '../../functions/index.js';
import { installPlatform } from '../../shared/vvp/bootstrap.js';
import { type Settings, settingsSchema } from '../../shared/config.js';
import { isConflict } from '../../shared/kube/client.js';
import { TypedKube } from '../../shared/kube/typed.js';
import { createLogger } from '../../shared/log.js';
import type { FunctionContext } from '../../shared/runtime/define.js';
import { createContext } from '../../shared/runtime/define.js';
import { InProcessRunner, mountFunctions } from '../../shared/runtime/host.js';
import { withServiceRoutes } from '../../shared/runtime/http.js';
import { createStore } from '../../shared/runtime/store.js';
import type { DeploymentResource } from '../../shared/model/index.js';
import { Platform } from '../../shared/vvp/service.js';
import { eventually as poll, testBed } from '../bed/env.js';

/**
 * Polls `check` until it returns something other than undefined/false (test/bed/env.ts's
 * `eventually`), taking the description and the timeout in either order.
 */
export function eventually<T>(check: () => Promise<T | undefined | false>, a?: string | number, b?: string | number): Promise<T> {
  const what = typeof a === 'string' ? a : typeof b === 'string' ? b : undefined;
  const timeoutMs = typeof a === 'number' ? a : typeof b === 'number' ? b : 20_000;
  return poll(check, timeoutMs, what);
}

export interface RunningSluice {
  url: string;
  token: string;
  ctx: FunctionContext;
  runner: InProcessRunner;
  kube: TypedKube;
  platform: Platform;
  /** The stored FlinkDeployment custom resource of a deployment, by VVP name. */
  platformCr(name: string, vns?: string): Promise<unknown>;
  /**
   * Changes a deployment's FlinkDeployment directly, bypassing the API as a CR-driven
   * change would; read-modify-write, again on a conflict with Sluice's own status writes.
   */
  changePlatformCr(name: string, vns: string, change: (cr: DeploymentResource) => void): Promise<void>;
  /** fetch against the REST API with the bootstrap token (or another). */
  api(path: string, init?: RequestInit & { token?: string | null; yaml?: string }): Promise<Response>;
  stop(): Promise<void>;
}

let counter = 0;

/**
 * Single-process Sluice against the test bed, as `npm start` runs it, with its own
 * platform namespace so that test files running in parallel do not see each other.
 * `kubeconfig` and `redisUrl` point it at another cluster or Redis (a private one of a
 * fault test or of the benchmarks); with both given, the shared test bed is not needed.
 */
export async function startSluice(overrides: Partial<Settings> & { events?: boolean } = {}): Promise<RunningSluice> {
  const { events = true, ...rest } = overrides;
  const bed = rest.kubeconfig && rest.redisUrl ? undefined : testBed();
  const token = `sluice-test-bootstrap-${process.pid}-${++counter}-${Math.random().toString(36).slice(2)}`;
  const settings = settingsSchema.parse({
    platformNamespace: `sluice-test-${process.pid}-${counter}`,
    bootstrapToken: token,
    redisUrl: bed?.redisUrl,
    logLevel: process.env.SLUICE_TEST_LOG ?? 'silent',
  });
  Object.assign(settings, rest);
  const kube = TypedKube.fromFile(settings.kubeconfig ?? bed!.kubeconfig);
  const store = createStore(settings.redisUrl, settings.platformNamespace);
  const ctx = createContext(settings, kube, store, createLogger(settings.logLevel));
  await installPlatform(ctx);
  const functions = await loadAll();
  const runner = new InProcessRunner(functions, ctx);
  const app = withServiceRoutes(new Hono(), ctx);
  mountFunctions(app, functions, runner.ctx);
  app.route('/', createApi(ctx));
  if (events) await runner.start();
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const address = server.address();
  const platform = new Platform(kube, settings);
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    token,
    ctx,
    runner,
    kube,
    platform,
    async platformCr(name, vns) {
      if (vns) return platform.findDeployment(vns, name);
      const all = await platform.deployments.list();
      return all.find((d) => d.spec.metadata.name === name);
    },
    async changePlatformCr(name, vns, change) {
      for (;;) {
        const cr = await platform.findDeployment(vns, name);
        if (!cr) throw new Error(`no FlinkDeployment for ${vns}/${name}`);
        change(cr);
        try {
          await platform.deployments.replace(cr);
          return;
        } catch (err) {
          if (!isConflict(err)) throw err;
        }
      }
    },
    api(path, init = {}) {
      const { token: t = token, yaml, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (t) headers.set('authorization', `Bearer ${t}`);
      if (yaml !== undefined) headers.set('content-type', 'application/yaml');
      else if (rest.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
      return fetch(`${url}${path}`, { ...rest, headers, ...(yaml !== undefined ? { body: yaml } : {}) });
    },
    async stop() {
      runner.close();
      await new Promise((r) => server.close(() => r(undefined)));
      await store.close();
      await kube.core.deleteNamespace({ name: settings.platformNamespace }).catch(() => undefined);
    },
  };
}
