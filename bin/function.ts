/**
 * One function alone, as its container runs it (SPEC §6):
 *   SLUICE_FUNCTION=<name> npm run function
 * Serves the function's CloudEvent endpoint at `/` (and `/resync`, `/healthz`, `/readyz`,
 * `/metrics`) on PORT. The REST API is the function named `api`.
 *
 * With SLUICE_LOAD_ONLY=1 it loads every function's code and exits, serving nothing: what
 * the image build runs to fill V8's code cache (bin/start.ts).
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { eventFunctions, loadAll } from '../functions/index.js';
import { loadSettings } from '../shared/config.js';
import { Kube } from '../shared/kube.js';
import { createLogger } from '../shared/log.js';
import { createContext } from '../shared/runtime/host.js';
import { functionApp, serviceRoutes } from '../shared/runtime/http.js';
import { createStore } from '../shared/runtime/store.js';

async function main() {
  if (process.env.SLUICE_LOAD_ONLY === '1') {
    await Promise.all([loadAll(), import('../functions/api/index.js'), import('../shared/bootstrap.js')]);
    return;
  }
  const settings = loadSettings(process.env, process.argv.slice(2));
  const log = createLogger(settings.logLevel);
  const name = settings.function;
  const names = ['api', ...Object.keys(eventFunctions)];
  if (!name || !names.includes(name)) {
    console.error(`SLUICE_FUNCTION must name one of: ${names.join(', ')}`);
    process.exit(2);
  }

  const kube = Kube.fromEnvironment(settings.kubeconfig);
  const store = createStore(settings.redisUrl, settings.platformNamespace);
  const ctx = createContext(settings, kube, store, log.child({ function: name }));
  const app = serviceRoutes(new Hono(), ctx);
  if (name === 'api') {
    const { createApi } = await import('../functions/api/index.js');
    // The CRDs come with the manifests (the api may not install them); a new installation
    // still needs its `default` vNamespace and bootstrap credential. Made beside serving:
    // an installation that is not complete yet must not keep the api from starting.
    const { ensureTenancyBasics } = await import('../shared/bootstrap.js');
    ensureTenancyBasics(ctx)
      .then(({ generatedToken }) => {
        if (generatedToken) console.log(`Bootstrap admin token (shown once; set SLUICE_BOOTSTRAP_TOKEN to choose your own): ${generatedToken}`);
      })
      .catch((err: unknown) => log.warn({ reason: (err as Error).message }, 'default namespace or bootstrap token not ensured; will retry on the next start'));
    app.route('/', createApi(ctx));
  } else {
    app.route('/', functionApp(await eventFunctions[name]!(), ctx));
  }

  const server = serve({ fetch: app.fetch, port: settings.port, hostname: '0.0.0.0' }, (info) => {
    log.info({ function: name, port: info.port }, `function ${name} listening`);
  });
  const shutdown = () => {
    server.close();
    void store.close();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  console.error(`function failed to start: ${(err as Error).message}`);
  process.exit(1);
});
