import type { Context, Hono } from 'hono';
import { Platform } from '../../shared/vvp/service.js';
import { type ApiEnv, allow } from './auth.js';
import { readBody, respond } from './http.js';
import type { ApiDeps } from './index.js';

/**
 * /api/v1/namespaces/{ns}/savepoints: the Savepoints Sluice took (SUSPEND, SUSPEND_AND_UPGRADE,
 * USER_REQUEST: a POST naming a Deployment) and those recorded by POST (a location that exists
 * already, e.g. to restore from it). Filtered by `deploymentId` and `jobId`.
 * Authorized like deployments: viewers read, editors and owners create.
 */
export function savepointRoutes(app: Hono<ApiEnv>, { platform, namespaces }: ApiDeps) {
  const base = '/api/v1/namespaces/:ns/savepoints';
  const vnsOf = (c: Context) => c.req.param('ns')!;
  const view = Platform.view.savepoint;

  app.get(base, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'savepoints', 'read');
    const items = await platform.listSavepoints(vnsOf(c), c.req.query('deploymentId') || undefined, c.req.query('jobId') || undefined);
    return respond(c, { kind: 'ResourceList', apiVersion: 'v1', metadata: {}, items: items.map(view) });
  });
  app.get(`${base}/:id`, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'savepoints', 'read');
    return respond(c, view(await platform.getSavepoint(vnsOf(c), c.req.param('id'))));
  });
  app.post(base, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'savepoints', 'write');
    return respond(c, view(await platform.createSavepoint(vnsOf(c), await readBody(c))), 201);
  });
}
