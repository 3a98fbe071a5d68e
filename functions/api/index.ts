import { Hono } from 'hono';
import type { FunctionContext } from '../../shared/runtime/define.js';
import { BadInput } from '../../shared/runtime/errors.js';
import { NamespaceStore } from '../../shared/vvp/namespaces.js';
import { Platform } from '../../shared/vvp/service.js';
import { TokenStore } from '../../shared/vvp/token-store.js';
import { type ApiEnv, authenticate } from './auth.js';
import { limitBody, respond, toErrorResponse } from './http.js';
import { errorBody } from '../../shared/runtime/errors.js';
import { namespaceRoutes, tokenRoutes } from './admin.js';
import { appRoutes } from './resources.js';
import { savepointRoutes } from './savepoints.js';
import { eventRoutes } from './events.js';
import { deploymentDefaultsRoutes } from './deployment-defaults.js';
import { secretValueRoutes } from './secret-values.js';
import { consoleRoutes } from './console.js';
import { podRoutes } from './pods.js';
import { systemRoutes } from './system.js';
import { FLINK_UI_PREFIX, flinkUiRoutes } from './flink-ui.js';
import { openApiDocument } from './openapi.js';

/**
 * The VVP-compatible REST API: itself a function that scales to zero. Paths:
 * /namespaces/v1/..., /apitokens/v1/..., /api/v1/namespaces/{ns}/{deployment-targets,
 * deployments,jobs,savepoints,events,deployment-defaults,secret-values}, /api/v1/status, /api/v1/openapi.json.
 */
export function createApi(ctx: FunctionContext): Hono<ApiEnv> {
  const platform = new Platform(ctx.kube, ctx.settings);
  const namespaces = new NamespaceStore(ctx.crs.namespaces);
  const tokens = new TokenStore(ctx.kube, ctx.settings.platformNamespace);
  const deps = { ctx, platform, namespaces, tokens };

  const app = new Hono<ApiEnv>();
  app.onError((err, c) => {
    if (!(err instanceof BadInput)) ctx.log.warn({ err, path: c.req.path }, 'request failed');
    return toErrorResponse(err, c);
  });
  app.get('/api/v1/status', (c) => respond(c, { status: 'OK', auth: ctx.settings.auth ? 'on' : 'off' }));
  app.get('/api/v1/openapi.json', (c) => c.json(openApiDocument()));
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  // Where the Broker sends events it gave up on: logged and counted, so an operator sees them.
  app.post('/dead-letters', limitBody, async (c) => {
    ctx.log.error(
      { type: c.req.header('ce-type'), subject: c.req.header('ce-subject'), eventId: c.req.header('ce-id') },
      'event dead-lettered',
    );
    return c.body(null, 202);
  });

  consoleRoutes(app); // the web console's static files: no token needed to load the page

  // The Flink UI is opened as a page: the console's sign-in cookie (sent only to these paths) authenticates it too.
  const ui = new Hono<ApiEnv>();
  ui.use(`${FLINK_UI_PREFIX}/*`, limitBody, authenticate(ctx, tokens, { cookie: true }));
  flinkUiRoutes(ui, deps);
  app.route('/', ui);

  const authed = new Hono<ApiEnv>();
  authed.use('*', limitBody, authenticate(ctx, tokens));
  namespaceRoutes(authed, deps);
  tokenRoutes(authed, deps);
  appRoutes(authed, deps);
  savepointRoutes(authed, deps);
  eventRoutes(authed, deps);
  deploymentDefaultsRoutes(authed, deps);
  secretValueRoutes(authed, deps);
  podRoutes(authed, deps);
  systemRoutes(authed, deps);
  app.route('/', authed);
  app.notFound((c) => respond(c, errorBody(404, `no route for ${c.req.method} ${c.req.path}`), 404));
  return app;
}

export type ApiDeps = { ctx: FunctionContext; platform: Platform; namespaces: NamespaceStore; tokens: TokenStore };
