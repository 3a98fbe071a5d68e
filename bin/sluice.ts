/**
 * Single-process mode: every function and the REST API in one process, fed by
 * the in-process event source. `npm start`.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createApi } from '../functions/api/index.js';
import { loadAll } from '../functions/index.js';
import { installPlatform } from '../shared/bootstrap.js';
import { claimWatchedNamespaces } from '../shared/operator/claim.js';
import { connectCluster } from '../shared/cluster.js';
import { SettingsError, loadSettings } from '../shared/config.js';
import { createLogger } from '../shared/log.js';
import { InProcessRunner, createContext, mountFunctions } from '../shared/runtime/host.js';
import { withServiceRoutes } from '../shared/runtime/http.js';
import { createStore } from '../shared/runtime/store.js';

const RESYNC_EVERY_MS = 5 * 60 * 1000;

async function main() {
  const settings = loadSettings(process.env, process.argv.slice(2));
  const log = createLogger(settings.logLevel);
  const cluster = await connectCluster(settings, log);
  const store = createStore(settings.redisUrl, settings.platformNamespace);
  const ctx = createContext(settings, cluster.kube, store, log);

  const installed = await installPlatform(ctx);
  if (settings.watchedNamespaces.length > 0) await claimWatchedNamespaces(ctx); // VVP's operator refuses to start if another identity holds one
  if (installed.generatedToken) {
    // Printed once, on the console only (never logged): it is the platform superuser's credential.
    console.log(`Bootstrap admin token (shown once; set SLUICE_BOOTSTRAP_TOKEN to choose your own): ${installed.generatedToken}`);
  }

  const functions = await loadAll();
  const runner = new InProcessRunner(functions, ctx);
  const app = withServiceRoutes(new Hono(), ctx);
  mountFunctions(app, functions, ctx);
  app.route('/', createApi(ctx));

  await runner.start({ resyncEveryMs: RESYNC_EVERY_MS });
  const server = serve({ fetch: app.fetch, port: settings.port, hostname: '127.0.0.1' }, (info) => {
    if (cluster.local) console.log(`Local cluster kubeconfig: ${cluster.kubeconfig}`);
    console.log(`Sluice ready at http://127.0.0.1:${info.port}/`);
  });

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down');
    runner.stop();
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
