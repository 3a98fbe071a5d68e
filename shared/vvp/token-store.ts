import type { V1Secret } from '@kubernetes/client-node';
import type { Kube } from '../kube/client.js';
import { isAlreadyExists, isNotFound } from '../kube/client.js';
import type { TokenRole } from '../model/index.js';
import type { Caller } from './access.js';
import { generateToken, hashToken, sameHash, tokenSecretName } from './tokens.js';
import { SECRETS } from '../kube/resources.js';

export const TOKEN_LABELS = {
  kind: 'sluice.dev/kind',
  vnamespace: 'sluice.dev/vnamespace',
  name: 'sluice.dev/token-name',
  bootstrap: 'sluice.dev/bootstrap',
} as const;

export interface StoredToken {
  name: string;
  namespace: string;
  role: TokenRole;
  createTime: string;
}

const decode = (s: V1Secret, key: string) => (s.data?.[key] ? Buffer.from(s.data[key], 'base64').toString('utf8') : undefined);

function fromSecret(s: V1Secret): StoredToken {
  return {
    name: decode(s, 'name')!,
    namespace: decode(s, 'namespace')!,
    role: decode(s, 'role') as TokenRole,
    createTime: decode(s, 'createTime')!,
  };
}

/**
 * API tokens as Secrets in the platform namespace, one per token, named after the hash of
 * its secret; the secret itself is never stored.
 */
export class TokenStore {
  constructor(
    private readonly kube: Kube,
    private readonly namespace: string,
  ) {}

  /** The caller a bearer token stands for, or undefined if it is not a valid token. */
  async resolve(token: string): Promise<Caller | undefined> {
    const hash = hashToken(token);
    let secret: V1Secret;
    try {
      secret = await this.kube.api<V1Secret>(SECRETS).get({ namespace: this.namespace, name: tokenSecretName(hash) });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    if (secret.metadata?.labels?.[TOKEN_LABELS.kind] !== 'apitoken' || !sameHash(decode(secret, 'hash') ?? '', hash)) return undefined;
    const stored = fromSecret(secret);
    if (secret.metadata.labels[TOKEN_LABELS.bootstrap] === 'true') return { kind: 'superuser', name: stored.name };
    return { kind: 'token', name: stored.name, namespace: stored.namespace, role: stored.role };
  }

  async list(vns: string): Promise<StoredToken[]> {
    const res = await this.kube.api<V1Secret>(SECRETS).list({
      namespace: this.namespace,
      labelSelector: `${TOKEN_LABELS.kind}=apitoken,${TOKEN_LABELS.vnamespace}=${vns}`,
    });
    return res.items.map(fromSecret).sort((a, b) => a.name.localeCompare(b.name));
  }

  async #find(vns: string, name: string): Promise<V1Secret | undefined> {
    const res = await this.kube.api<V1Secret>(SECRETS).list({
      namespace: this.namespace,
      labelSelector: `${TOKEN_LABELS.kind}=apitoken,${TOKEN_LABELS.vnamespace}=${vns},${TOKEN_LABELS.name}=${name}`,
    });
    return res.items[0];
  }

  async get(vns: string, name: string): Promise<StoredToken | undefined> {
    const s = await this.#find(vns, name);
    return s ? fromSecret(s) : undefined;
  }

  /** Creates a token; returns its secret (shown once). Undefined if the name is taken. */
  async create(
    vns: string,
    name: string,
    role: TokenRole,
    opts: { secret?: string; bootstrap?: boolean } = {},
  ): Promise<{ token: StoredToken; secret: string } | undefined> {
    if (!opts.bootstrap && (await this.#find(vns, name))) return undefined;
    const secret = opts.secret ?? generateToken();
    const hash = hashToken(secret);
    const token: StoredToken = { name, namespace: vns, role, createTime: new Date().toISOString() };
    const body: V1Secret = {
      metadata: {
        name: tokenSecretName(hash),
        namespace: this.namespace,
        labels: {
          [TOKEN_LABELS.kind]: 'apitoken',
          [TOKEN_LABELS.vnamespace]: vns,
          [TOKEN_LABELS.name]: name,
          ...(opts.bootstrap ? { [TOKEN_LABELS.bootstrap]: 'true' } : {}),
        },
      },
      type: 'Opaque',
      stringData: { hash, name, namespace: vns, role, createTime: token.createTime },
    };
    try {
      await this.kube.api<V1Secret>(SECRETS).create({ namespace: this.namespace, body });
    } catch (err) {
      // Only a bootstrap token is ever re-created with a known secret: already there is fine.
      if (!(opts.bootstrap && isAlreadyExists(err))) throw err;
    }
    return { token, secret };
  }

  async delete(vns: string, name: string): Promise<boolean> {
    const s = await this.#find(vns, name);
    if (!s) return false;
    try {
      await this.kube.api<V1Secret>(SECRETS).delete({ namespace: this.namespace, name: s.metadata!.name! });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return true;
  }

  /** Bootstrap credentials other than the one given (to retire when SLUICE_BOOTSTRAP_TOKEN changes). */
  async bootstrapSecrets(): Promise<V1Secret[]> {
    const res = await this.kube.api<V1Secret>(SECRETS).list({
      namespace: this.namespace,
      labelSelector: `${TOKEN_LABELS.kind}=apitoken,${TOKEN_LABELS.bootstrap}=true`,
    });
    return res.items;
  }

  async deleteSecret(name: string): Promise<void> {
    await this.kube
      .api<V1Secret>(SECRETS)
      .delete({ namespace: this.namespace, name })
      .catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
  }
}
