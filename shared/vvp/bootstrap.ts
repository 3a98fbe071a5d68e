import type { V1Namespace } from '@kubernetes/client-node';
import { isAlreadyExists, statusCode } from '../kube/client.js';
import { ensureCrds } from '../model/install.js';
import type { FunctionContext } from '../runtime/define.js';
import { NamespaceStore } from './namespaces.js';
import { TokenStore } from './token-store.js';
import { hashToken, tokenSecretName } from './tokens.js';
import { NAMESPACES } from '../kube/resources.js';

export interface Installation {
  /** Set when this start generated the bootstrap token: to be shown once, never logged. */
  generatedToken?: string;
}

/**
 * What a new installation needs before anything runs (single-process mode does it on
 * start; on Knative, the manifests and the api function's first start do): the platform
 * namespace, the CRDs (created or upgraded), the `default` vNamespace and the bootstrap
 * superuser credential.
 */
export async function installPlatform(ctx: FunctionContext): Promise<Installation> {
  const { kube, settings } = ctx;
  try {
    await kube.api<V1Namespace>(NAMESPACES).create({ body: { metadata: { name: settings.platformNamespace } } });
  } catch (err) {
    if (!isAlreadyExists(err) && statusCode(err) !== 403) throw err;
  }
  await ensureCrds(kube);
  return ensureTenancyBasics(ctx);
}

/** The `default` vNamespace (it exists from installation, as in VVP) and the bootstrap credential. */
export async function ensureTenancyBasics(ctx: FunctionContext): Promise<Installation> {
  await new NamespaceStore(ctx.crs.namespaces).ensure('default');
  return ensureBootstrapToken(ctx);
}

/**
 * SLUICE_BOOTSTRAP_TOKEN, if set, becomes the superuser credential (retiring any other);
 * otherwise one is generated once per installation, and later starts keep it.
 */
export async function ensureBootstrapToken(ctx: FunctionContext): Promise<Installation> {
  if (!ctx.settings.auth) return {};
  const tokens = new TokenStore(ctx.kube, ctx.settings.platformNamespace);
  const existing = await tokens.bootstrapSecrets();
  const wanted = ctx.settings.bootstrapToken;
  if (wanted) {
    const name = tokenSecretName(hashToken(wanted));
    for (const s of existing) if (s.metadata?.name !== name) await tokens.deleteSecret(s.metadata!.name!);
    if (!existing.some((s) => s.metadata?.name === name))
      await tokens.create('', 'bootstrap', 'owner', { secret: wanted, bootstrap: true });
    return {};
  }
  if (existing.length > 0) return {};
  const created = await tokens.create('', 'bootstrap', 'owner', { bootstrap: true });
  return { generatedToken: created!.secret };
}
