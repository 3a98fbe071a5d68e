import type { Context, Hono } from 'hono';
import { BadInput } from '../../shared/runtime/errors.js';
import { EventLog } from '../../shared/vvp/event-log.js';
import { type ApiEnv, allow } from './auth.js';
import { respond } from './http.js';
import type { ApiDeps } from './index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A filter parameter: absent, or a UUID (a label value, so anything else could not match). */
function uuidParam(c: Context, name: string): string | undefined {
  const value = c.req.query(name);
  if (value === undefined || value === '') return undefined;
  if (!UUID.test(value)) throw new BadInput(`${name}: '${value}' is not a UUID`);
  return value.toLowerCase();
}

/**
 * /api/v1/namespaces/{ns}/events: the event log of a vNamespace's Deployments (VVP's Event),
 * oldest first, filtered by `deploymentId` and `jobId`. Read by every role.
 */
export function eventRoutes(app: Hono<ApiEnv>, { ctx, namespaces }: ApiDeps) {
  const log = new EventLog(ctx.kube, ctx.settings.platformNamespace);
  app.get('/api/v1/namespaces/:ns/events', async (c) => {
    const vns = c.req.param('ns');
    await allow(c, namespaces, vns, 'events', 'read');
    const items = await log.list(vns, { deploymentId: uuidParam(c, 'deploymentId'), jobId: uuidParam(c, 'jobId') });
    return respond(c, { kind: 'ResourceList', apiVersion: 'v1', metadata: {}, items });
  });
}
