import type { Context, Hono } from 'hono';
import { SecretValueStore, secretValueView } from '../../shared/vvp/secret-values.js';
import { type ApiEnv, allow } from './auth.js';
import { readBody, respond } from './http.js';
import type { ApiDeps } from './index.js';

/**
 * /api/v1/namespaces/{ns}/secret-values: VVP's Secret Values. Values are write-only: no
 * answer contains one. Viewers read the names, editors and owners write.
 */
export function secretValueRoutes(app: Hono<ApiEnv>, { ctx, namespaces }: ApiDeps) {
  const store = new SecretValueStore(ctx.kube, ctx.settings.platformNamespace);
  const base = '/api/v1/namespaces/:ns/secret-values';
  const vnsOf = (c: Context) => c.req.param('ns')!;

  app.get(base, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'secret-values', 'read');
    return respond(c, { kind: 'ResourceList', apiVersion: 'v1', metadata: {}, items: (await store.list(vnsOf(c))).map(secretValueView) });
  });
  app.post(base, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'secret-values', 'write');
    return respond(c, secretValueView(await store.create(vnsOf(c), await readBody(c))), 201);
  });
  app.get(`${base}/:name`, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'secret-values', 'read');
    return respond(c, secretValueView(await store.get(vnsOf(c), c.req.param('name'))));
  });
  app.patch(`${base}/:name`, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'secret-values', 'write');
    return respond(c, secretValueView(await store.patch(vnsOf(c), c.req.param('name'), await readBody(c))));
  });
  app.delete(`${base}/:name`, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'secret-values', 'write');
    return respond(c, secretValueView(await store.delete(vnsOf(c), c.req.param('name'))));
  });
}
