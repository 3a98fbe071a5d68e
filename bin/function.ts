/**
 * One function alone, as its container runs it:
 *   SLUICE_FUNCTION=<name> npm run function
 * Serves the function's CloudEvent endpoint at `/` (and `/resync`, `/healthz`, `/readyz`,
 * `/metrics`) on PORT. The REST API is the function named `api`.
 *
 * With SLUICE_LOAD_ONLY=1 it loads the code of the function SLUICE_FUNCTION names and exits,
 * serving nothing: what the image build runs to fill that function's V8 code cache
 * (bin/start.ts).
 */
import { FUNCTION_NAMES, eventFunctions } from '../functions/index.js';
import { loadSettings } from '../shared/config.js';
import { Kube } from '../shared/kube/client.js';
import { createLogger } from '../shared/log.js';
import { createContext } from '../shared/runtime/define.js';
import { PingSourceRechecks } from '../shared/runtime/rechecks.js';
import { functionRoutes } from '../shared/runtime/routes.js';
import { routesServer } from '../shared/runtime/server.js';
import { createStore } from '../shared/runtime/store.js';

/**
 * The code of the function `name`: the REST API's (served by hono, loaded only here), or
 * one event function's (served by node:http, ../shared/runtime/server.ts says why).
 */
async function loadFunction(name: string) {
  if (name === 'api') {
    const [{ createApi }, { ensureTenancyBasics }, { withServiceRoutes }, { Hono }, { serve }] = await Promise.all([
      import('../functions/api/index.js'),
      import('../shared/vvp/bootstrap.js'),
      import('../shared/runtime/http.js'),
      import('hono'),
      import('@hono/node-server'),
    ]);
    return { kind: 'api' as const, createApi, ensureTenancyBasics, withServiceRoutes, Hono, serve };
  }
  return { kind: 'event' as const, fn: await eventFunctions[name]!() };
}

async function main() {
  if (process.env.SLUICE_LOAD_ONLY === '1') {
    const name = process.env.SLUICE_FUNCTION;
    if (!name || !FUNCTION_NAMES.includes(name)) throw new Error(`SLUICE_FUNCTION must name one of: ${FUNCTION_NAMES.join(', ')}`);
    await loadFunction(name);
    return;
  }
  const settings = loadSettings(process.env, process.argv.slice(2));
  const log = createLogger(settings.logLevel);
  const name = settings.function;
  if (!name || !FUNCTION_NAMES.includes(name)) {
    console.error(`SLUICE_FUNCTION must name one of: ${FUNCTION_NAMES.join(', ')}`);
    process.exit(2);
  }
  const code = await loadFunction(name);

  const kube = Kube.fromEnvironment(settings.kubeconfig);
  const store = createStore(settings.redisUrl, settings.platformNamespace);
  const ctx = createContext(settings, kube, store, log.child({ function: name }));
  // On Knative (its manifests set SLUICE_RECHECKS=pingsource, naming the Broker) a recheck is a PingSource.
  const broker = process.env.SLUICE_RECHECKS === 'pingsource' ? process.env.SLUICE_BROKER : undefined;
  if (broker) ctx.rechecks = new PingSourceRechecks(ctx, broker);
  const listening = () => {
    log.info({ function: name, port: settings.port }, `function ${name} listening`);
    // Connect to the API server while the platform waits for readiness, not in the first event.
    kube.ping().catch((err: unknown) => log.debug({ reason: (err as Error).message }, 'API server not reached yet'));
  };
  let server: { close(): unknown };
  if (code.kind === 'api') {
    // The CRDs come with the manifests (the api may not install them); a new installation
    // still needs its `default` vNamespace and bootstrap credential. Made beside serving:
    // an installation that is not complete yet must not keep the api from starting.
    code
      .ensureTenancyBasics(ctx)
      .then(({ generatedToken }) => {
        if (generatedToken)
          console.log(`Bootstrap admin token (shown once; set SLUICE_BOOTSTRAP_TOKEN to choose your own): ${generatedToken}`);
      })
      .catch((err: unknown) =>
        log.warn({ reason: (err as Error).message }, 'default namespace or bootstrap token not ensured; will retry on the next start'),
      );
    const app = code.withServiceRoutes(new code.Hono(), ctx);
    app.route('/', code.createApi(ctx));
    server = code.serve({ fetch: app.fetch, port: settings.port, hostname: '0.0.0.0' }, listening);
  } else {
    server = routesServer(functionRoutes(code.fn, ctx)).listen(settings.port, '0.0.0.0', listening);
  }
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
