import type { V1Secret } from '@kubernetes/client-node';
import { isNotFound, statusCode } from '../kube/client.js';
import type { FunctionContext } from '../runtime/define.js';
import type { RoleBinding } from '../model/index.js';
import { type Caller, type Resource, authorize } from '../vvp/access.js';
import { NamespaceStore } from '../vvp/namespaces.js';
import { TokenStore } from '../vvp/token-store.js';
import { ANNOTATIONS, type VvpDeploymentCr } from './cr.js';
import { SECRETS } from '../kube/resources.js';

/**
 * VVP's operator authentication: with SLUICE_AUTH on, a VvpDeployment is reconciled
 * only with an API token of role editor or owner in the Deployment's vNamespace, taken from
 * the Secret its `apikeySecretName` annotation names (key `apikey`) or from its `apikey`
 * annotation. Messages name where the token was looked for, never the token itself.
 */

export type CrAccess =
  | { ok: true; caller: Caller; bindings: RoleBinding[] }
  | { ok: false; reason: 'Unauthenticated' | 'Forbidden' | 'NamespaceNotFound'; message: string };

const NEEDS = 'with authentication on, a VvpDeployment needs an API token of role editor or owner in its vNamespace';

/** The API token a CR carries, or why there is none. */
export async function tokenOf(
  ctx: Pick<FunctionContext, 'kube'>,
  cr: VvpDeploymentCr,
): Promise<{ token: string; from: string } | { problem: string }> {
  const annotations = cr.metadata.annotations ?? {};
  const secretName = annotations[ANNOTATIONS.apikeySecretName];
  if (secretName) {
    const from = `Secret ${secretName} (annotation ${ANNOTATIONS.apikeySecretName})`;
    let secret: V1Secret;
    try {
      secret = await ctx.kube.api<V1Secret>(SECRETS).get({ namespace: cr.metadata.namespace, name: secretName });
    } catch (err) {
      if (isNotFound(err)) return { problem: `${from} not found in namespace ${cr.metadata.namespace}` };
      if (statusCode(err) === 403) return { problem: `${from} in namespace ${cr.metadata.namespace} cannot be read by the operator` };
      throw err;
    }
    const raw = secret.data?.apikey;
    // `kubectl create secret --from-file=apikey` keeps the file's trailing newline.
    const token = raw ? Buffer.from(raw, 'base64').toString('utf8').trim() : '';
    if (!token) return { problem: `${from} has no key apikey (it must hold the API token)` };
    return { token, from };
  }
  const inline = annotations[ANNOTATIONS.apikey]?.trim();
  if (inline) return { token: inline, from: `annotation ${ANNOTATIONS.apikey}` };
  return {
    problem: `no API token: ${NEEDS}, in the annotation ${ANNOTATIONS.apikey} or in a Secret named by the annotation ${ANNOTATIONS.apikeySecretName} (key apikey)`,
  };
}

/**
 * Who the CR acts as in `vns`, and whether that may write Deployments there. With
 * authentication off everyone is the superuser, but the vNamespace must exist.
 */
export async function crAccess(
  ctx: Pick<FunctionContext, 'kube' | 'crs' | 'settings'>,
  cr: VvpDeploymentCr,
  vns: string,
  resource: Resource = 'deployments',
): Promise<CrAccess> {
  let caller: Caller;
  if (!ctx.settings.auth) caller = { kind: 'superuser', name: 'anonymous' };
  else {
    const t = await tokenOf(ctx, cr);
    if ('problem' in t) return { ok: false, reason: 'Unauthenticated', message: t.problem };
    const resolved = await new TokenStore(ctx.kube, ctx.settings.platformNamespace).resolve(t.token);
    if (!resolved) return { ok: false, reason: 'Unauthenticated', message: `the API token in ${t.from} is not a valid API token` };
    caller = resolved;
  }
  const ns = await new NamespaceStore(ctx.crs.namespaces).get(vns);
  // Not found and no role are the same answer: another tenant's namespace never leaks.
  if (!ns) return { ok: false, reason: 'NamespaceNotFound', message: `namespace ${vns} not found` };
  const bindings = ns.spec.roleBindings ?? [];
  const decision = authorize(caller, vns, bindings, resource, 'write');
  if (!decision.allowed) {
    return decision.status === 404
      ? { ok: false, reason: 'NamespaceNotFound', message: decision.message }
      : { ok: false, reason: 'Forbidden', message: `${decision.message}: ${NEEDS}` };
  }
  return { ok: true, caller, bindings };
}

/** Whether an authorized CR may also write `resource` (e.g. the initial savepoint). */
export function mayWrite(access: Extract<CrAccess, { ok: true }>, vns: string, resource: Resource): boolean {
  return authorize(access.caller, vns, access.bindings, resource, 'write').allowed;
}
