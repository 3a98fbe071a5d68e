/**
 * Single-process mode: every function and the REST API in one process, fed by
 * the in-process event source. `npm start`.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createApi } from '../functions/api/index.js';
import { loadAll } from '../functions/index.js';
import { installPlatform } from '../shared/vvp/bootstrap.js';
import { claimWatchedNamespaces } from '../shared/operator/claim.js';
import { connectCluster, unreachable } from '../shared/kube/cluster.js';
import { SettingsError, blobStorageUriOf, loadSettings } from '../shared/config.js';
import { createLogger } from '../shared/log.js';
import type { FunctionContext } from '../shared/runtime/define.js';
import { createContext } from '../shared/runtime/define.js';
import { InProcessRunner, mountFunctions } from '../shared/runtime/host.js';
import { withServiceRoutes } from '../shared/runtime/http.js';
import { createStore } from '../shared/runtime/store.js';

const RESYNC_EVERY_MS = 5 * 60 * 1000;
const CLUSTER_RETRY_MS = 2000;

/** Runs `start` until it succeeds, waiting for the cluster while it does not answer (a configured cluster is never given up). */
async function whenClusterAnswers<T>(ctx: FunctionContext, start: () => Promise<T>): Promise<T> {
  for (;;) {
    const why = await unreachable(ctx.kube);
    if (!why) return start();
    ctx.log.warn({ reason: why }, 'waiting for the cluster to answer');
    await new Promise((r) => setTimeout(r, CLUSTER_RETRY_MS));
  }
}

async function main() {
  const settings = loadSettings(process.env, process.argv.slice(2));
  const log = createLogger(settings.logLevel);
  const cluster = await connectCluster(settings, log);
  settings.blobStorageUri = blobStorageUriOf(settings, cluster.local);
  const store = createStore(settings.redisUrl, settings.platformNamespace);
  const ctx = createContext(settings, cluster.kube, store, log);

  // The port answers from the start: /healthz, /readyz (not ready until the cluster answers),
  // and 503 "retry" for the rest; the whole app takes over once it is mounted.
  const starting = withServiceRoutes(new Hono(), ctx);
  starting.notFound((c) => c.json({ kind: 'Error', status: 503, message: 'Sluice is starting: waiting for the cluster; retry' }, 503));
  let handler = starting.fetch;
  let port = settings.port;
  const server = serve({ fetch: (req) => handler(req), port: settings.port, hostname: '127.0.0.1' }, (info) => (port = info.port));
  const installed = await whenClusterAnswers(ctx, () => installPlatform(ctx));
  if (settings.watchedNamespaces.length > 0) await claimWatchedNamespaces(ctx); // VVP's operator refuses to start if another identity holds one
  if (installed.generatedToken) {
    // Printed once, on the console only (never logged): it is the platform superuser's credential.
    console.log(`Bootstrap admin token (shown once; set SLUICE_BOOTSTRAP_TOKEN to choose your own): ${installed.generatedToken}`);
  }

  const functions = await loadAll();
  const runner = new InProcessRunner(functions, ctx);
  const app = withServiceRoutes(new Hono(), ctx);
  mountFunctions(app, functions, runner.ctx);
  app.route('/', createApi(ctx));
  handler = app.fetch;

  await runner.start({ resyncEveryMs: RESYNC_EVERY_MS });
  if (cluster.local) console.log(`Local cluster kubeconfig: ${cluster.kubeconfig}`);
  console.log(`Sluice ready at http://127.0.0.1:${port}/`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down');
    runner.close();
    server.close();
    await store.close();
    await cluster.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch((err: unknown) => {
  console.error(err instanceof SettingsError ? `Invalid setting: ${err.message}` : `Sluice failed to start: ${(err as Error).message}`);
  process.exit(1);
});
