import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { FunctionContext } from '../../shared/runtime/define.js';
import { BadInput, NotFound } from '../../shared/runtime/errors.js';
import { type Caller, type Decision, type Resource, type Verb, authorize } from '../../shared/vvp/access.js';
import type { NamespaceStore } from '../../shared/vvp/namespaces.js';
import type { TokenStore } from '../../shared/vvp/token-store.js';
import { bearer } from '../../shared/vvp/tokens.js';

export type ApiEnv = { Variables: { caller: Caller } };

/**
 * The console's sign-in for pages it opens in the browser (the Flink UI), which cannot send an
 * Authorization header: the API token in an HttpOnly cookie scoped to those pages.
 */
export const UI_COOKIE = 'sluice_token';

/**
 * Resolves the bearer token (or, where `cookie` allows it, the console's sign-in cookie) to a
 * caller; 401 without a valid one. With SLUICE_AUTH=off, everyone is the superuser.
 */
export function authenticate(ctx: FunctionContext, tokens: TokenStore, opts: { cookie?: boolean } = {}): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (!ctx.settings.auth) {
      c.set('caller', { kind: 'superuser', name: 'anonymous' });
      return next();
    }
    const token = bearer(c.req.header('authorization')) ?? (opts.cookie ? getCookie(c, UI_COOKIE) : undefined);
    const caller = token ? await tokens.resolve(token) : undefined;
    if (!caller) {
      c.header('WWW-Authenticate', 'Bearer realm="sluice"');
      throw new BadInput('missing or invalid API token: send "Authorization: Bearer <token>"', 401);
    }
    c.set('caller', caller);
    return next();
  };
}

function enforce(d: Decision): void {
  if (!d.allowed) throw new BadInput(d.message, d.status);
}

/**
 * Checks the caller's role in `vns` for a verb on a resource. A namespace that does not
 * exist, or that the caller has no role in, is the same 404.
 */
export async function allow(c: Context<ApiEnv>, namespaces: NamespaceStore, vns: string, resource: Resource, verb: Verb): Promise<void> {
  const ns = await namespaces.get(vns);
  if (!ns) throw new NotFound(`namespace ${vns} not found`);
  enforce(authorize(c.get('caller'), vns, ns.spec.roleBindings ?? [], resource, verb));
}
