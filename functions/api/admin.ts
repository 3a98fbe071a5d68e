import type { Context, Hono } from 'hono';
import { BadInput, NotFound } from '../../shared/runtime/errors.js';
import { TokenRole, check } from '../../shared/model/index.js';
import { mayAdministerNamespaces, mayCreateToken, roleIn } from '../../shared/vvp/access.js';
import { namespaceView, parseNamespaceName, parseRoleBindings } from '../../shared/vvp/namespaces.js';
import type { StoredToken } from '../../shared/vvp/token-store.js';
import { type ApiEnv, allow } from './auth.js';
import { readBody, respond } from './http.js';
import type { ApiDeps } from './index.js';

const TOKEN_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function requireAdmin(c: Context<ApiEnv>) {
  if (!mayAdministerNamespaces(c.get('caller'))) throw new BadInput('only admins may create, delete or list all namespaces', 403);
}

/** /namespaces/v1/namespaces: VVP's Namespace resource (gRPC-gateway shapes: `{namespace}`, `{namespaces}`). */
export function namespaceRoutes(app: Hono<ApiEnv>, { platform, namespaces, tokens }: ApiDeps) {
  const base = '/namespaces/v1/namespaces';

  app.get(base, async (c) => {
    const caller = c.get('caller');
    const all = await namespaces.list();
    const visible = mayAdministerNamespaces(caller) ? all : all.filter((n) => roleIn(caller, n.metadata.name, n.spec.roleBindings ?? []));
    return respond(c, { namespaces: visible.map(namespaceView) });
  });

  app.post(base, async (c) => {
    requireAdmin(c);
    const body = (await readBody(c)) as { name?: unknown; roleBindings?: unknown };
    if (!body || typeof body !== 'object') throw new BadInput('expected a namespace object {name, roleBindings}');
    const created = await namespaces.create(parseNamespaceName(body.name), parseRoleBindings(body.roleBindings));
    return respond(c, { namespace: namespaceView(created) }, 201);
  });

  app.get(`${base}/:ns`, async (c) => {
    const vns = c.req.param('ns');
    if (!mayAdministerNamespaces(c.get('caller'))) await allow(c, namespaces, vns, 'namespace', 'read');
    const ns = await namespaces.get(vns);
    if (!ns) throw new NotFound(`namespace ${vns} not found`);
    return respond(c, { namespace: namespaceView(ns) });
  });

  // Owners may change their namespace's role bindings; admins any.
  app.put(`${base}/:ns`, async (c) => {
    const vns = c.req.param('ns');
    if (!mayAdministerNamespaces(c.get('caller'))) await allow(c, namespaces, vns, 'namespace', 'write');
    const ns = await namespaces.get(vns);
    if (!ns) throw new NotFound(`namespace ${vns} not found`);
    const body = (await readBody(c)) as { name?: unknown; roleBindings?: unknown };
    if (body?.name !== undefined && parseNamespaceName(body.name) !== vns) throw new BadInput(`name cannot change (is namespaces/${vns})`);
    const updated = await namespaces.crs.replace({ ...ns, spec: { ...ns.spec, roleBindings: parseRoleBindings(body?.roleBindings) } });
    return respond(c, { namespace: namespaceView(updated) });
  });

  app.delete(`${base}/:ns`, async (c) => {
    requireAdmin(c);
    const vns = c.req.param('ns');
    if (vns === 'default') throw new BadInput('the default namespace cannot be deleted', 409);
    const ns = await namespaces.get(vns);
    if (!ns) throw new NotFound(`namespace ${vns} not found`);
    const [deployments, targets] = await Promise.all([platform.listDeployments(vns), platform.listTargets(vns)]);
    if (deployments.length || targets.length) {
      throw new BadInput(
        `namespace ${vns} is not empty: delete its ${deployments.length} deployment(s) and ${targets.length} deployment target(s) first`,
        409,
      );
    }
    for (const t of await tokens.list(vns)) await tokens.delete(vns, t.name);
    await namespaces.crs.delete(vns, ns.metadata.resourceVersion);
    return respond(c, { namespace: { ...namespaceView(ns), lifecyclePhase: 'LIFECYCLE_PHASE_TERMINATING' } });
  });
}

const tokenView = (t: StoredToken, secret?: string) => ({
  name: `namespaces/${t.namespace}/apitokens/${t.name}`,
  role: t.role,
  ...(secret ? { secret } : {}),
  createTime: t.createTime,
});

/** `namespaces/<ns>/apitokens/<name>` or `<name>`; it must belong to the path's namespace. */
function parseTokenName(raw: unknown, vns: string): string {
  if (typeof raw !== 'string' || raw === '') throw new BadInput(`name: a token needs a name, e.g. "namespaces/${vns}/apitokens/ci"`);
  const m = raw.match(/^namespaces\/([^/]+)\/apitokens\/(.+)$/);
  if (m && m[1] !== vns) throw new BadInput(`name: token ${raw} does not belong to namespace ${vns}`);
  const name = m ? m[2]! : raw;
  if (name.length > 63 || !TOKEN_NAME.test(name))
    throw new BadInput(`name: '${name}' is not a valid token name (lowercase letters, digits and '-', at most 63)`);
  return name;
}

/** /apitokens/v1/namespaces/{ns}/apitokens: owners manage their namespace's tokens; the secret is returned once. */
export function tokenRoutes(app: Hono<ApiEnv>, { namespaces, tokens }: ApiDeps) {
  const base = '/apitokens/v1/namespaces/:ns/apitokens';

  app.get(base, async (c) => {
    const vns = c.req.param('ns');
    await allow(c, namespaces, vns, 'apitokens', 'read');
    return respond(c, { apiTokens: (await tokens.list(vns)).map((t) => tokenView(t)) });
  });

  app.post(base, async (c) => {
    const vns = c.req.param('ns');
    const ns = await namespaces.get(vns);
    if (!ns) throw new NotFound(`namespace ${vns} not found`);
    const body = (await readBody(c)) as { name?: unknown; role?: unknown };
    const name = parseTokenName(body?.name, vns);
    const checked = check(TokenRole, body?.role, 'role');
    if (!checked.ok) throw new BadInput(checked.message);
    const role = checked.value;
    const decision = mayCreateToken(c.get('caller'), vns, ns.spec.roleBindings ?? [], role);
    if (!decision.allowed) throw new BadInput(decision.message, decision.status);
    const created = await tokens.create(vns, name, role);
    if (!created) throw new BadInput(`api token ${name} already exists in namespace ${vns}`, 409);
    return respond(c, { apiToken: tokenView(created.token, created.secret) }, 201);
  });

  app.get(`${base}/:name`, async (c) => {
    const vns = c.req.param('ns');
    await allow(c, namespaces, vns, 'apitokens', 'read');
    const t = await tokens.get(vns, c.req.param('name'));
    if (!t) throw new NotFound(`api token ${c.req.param('name')} not found in namespace ${vns}`);
    return respond(c, { apiToken: tokenView(t) });
  });

  app.delete(`${base}/:name`, async (c) => {
    const vns = c.req.param('ns');
    await allow(c, namespaces, vns, 'apitokens', 'write');
    const t = await tokens.get(vns, c.req.param('name'));
    if (!t || !(await tokens.delete(vns, t.name))) throw new NotFound(`api token ${c.req.param('name')} not found in namespace ${vns}`);
    return respond(c, { apiToken: tokenView(t) });
  });
}
