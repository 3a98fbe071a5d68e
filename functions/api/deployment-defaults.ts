import type { Hono } from 'hono';
import { type ApiEnv, allow } from './auth.js';
import { readBody, respond } from './http.js';
import type { ApiDeps } from './index.js';

/**
 * /api/v1/namespaces/{ns}/deployment-defaults: the vNamespace's Deployment Defaults (VVP's
 * DeploymentDefaults), merged under every Deployment created from then on. Viewers read,
 * editors and owners change them.
 */
export function deploymentDefaultsRoutes(app: Hono<ApiEnv>, { platform, namespaces }: ApiDeps) {
  const path = '/api/v1/namespaces/:ns/deployment-defaults';
  app.get(path, async (c) => {
    const vns = c.req.param('ns');
    await allow(c, namespaces, vns, 'deployment-defaults', 'read');
    return respond(c, await platform.getDeploymentDefaults(vns));
  });
  app.patch(path, async (c) => {
    const vns = c.req.param('ns');
    await allow(c, namespaces, vns, 'deployment-defaults', 'write');
    return respond(c, await platform.patchDeploymentDefaults(vns, await readBody(c)));
  });
}
