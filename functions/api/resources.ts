import type { Context, Hono } from 'hono';
import { Platform } from '../../shared/vvp/service.js';
import { type ApiEnv, allow } from './auth.js';
import { readBody, respond } from './http.js';
import type { ApiDeps } from './index.js';

const list = (c: Context, items: unknown[]) => respond(c, { kind: 'ResourceList', apiVersion: 'v1', metadata: {}, items });

/** /api/v1/namespaces/{ns}/...: the application resources, in VVP's object shape. */
export function appRoutes(app: Hono<ApiEnv>, { platform, namespaces }: ApiDeps) {
  const ns = '/api/v1/namespaces/:ns';
  const vnsOf = (c: Context) => c.req.param('ns')!;
  const view = Platform.view;

  // Deployment Targets: immutable spec, delete refused while referenced.
  app.get(`${ns}/deployment-targets`, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'deployment-targets', 'read');
    return list(c, (await platform.listTargets(vnsOf(c))).map(view.target));
  });
  app.post(`${ns}/deployment-targets`, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'deployment-targets', 'write');
    return respond(c, view.target(await platform.createTarget(vnsOf(c), await readBody(c))), 201);
  });
  app.get(`${ns}/deployment-targets/:name`, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'deployment-targets', 'read');
    return respond(c, view.target(await platform.getTarget(vnsOf(c), c.req.param('name'))));
  });
  app.put(`${ns}/deployment-targets/:name`, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'deployment-targets', 'write');
    return respond(c, view.target(await platform.replaceTarget(vnsOf(c), c.req.param('name'), await readBody(c))));
  });
  app.delete(`${ns}/deployment-targets/:name`, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'deployment-targets', 'write');
    return respond(c, view.target(await platform.deleteTarget(vnsOf(c), c.req.param('name'))));
  });

  // Deployments, by id or name.
  app.get(`${ns}/deployments`, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'deployments', 'read');
    return list(c, (await platform.listDeployments(vnsOf(c), c.req.query('labelSelector'))).map(view.deployment));
  });
  app.post(`${ns}/deployments`, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'deployments', 'write');
    return respond(c, view.deployment(await platform.createDeployment(vnsOf(c), await readBody(c), { namespaceDefaults: true })), 201);
  });
  app.get(`${ns}/deployments/:id`, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'deployments', 'read');
    return respond(c, view.deployment(await platform.getDeployment(vnsOf(c), c.req.param('id'))));
  });
  app.patch(`${ns}/deployments/:id`, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'deployments', 'write');
    return respond(c, view.deployment(await platform.patchDeployment(vnsOf(c), c.req.param('id'), await readBody(c))));
  });
  app.put(`${ns}/deployments/:id`, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'deployments', 'write');
    return respond(c, view.deployment(await platform.replaceDeployment(vnsOf(c), c.req.param('id'), await readBody(c))));
  });
  app.delete(`${ns}/deployments/:id`, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'deployments', 'write');
    return respond(c, view.deployment(await platform.deleteDeployment(vnsOf(c), c.req.param('id'))));
  });

  // Jobs: read-only, created only by Sluice.
  app.get(`${ns}/jobs`, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'jobs', 'read');
    return list(c, (await platform.listJobs(vnsOf(c), c.req.query('deploymentId'))).map(view.job));
  });
  app.get(`${ns}/jobs/:id`, async (c) => {
    await allow(c, namespaces, vnsOf(c), 'jobs', 'read');
    return respond(c, view.job(await platform.getJob(vnsOf(c), c.req.param('id'))));
  });
}
