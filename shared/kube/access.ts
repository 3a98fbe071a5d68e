import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';

/** TLS material and headers of one request to the API server. */
export interface Credentials {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
  headers: Record<string, string>;
}

/**
 * Where the API server is and how to call it. `credentials()` is asked before every request:
 * a service account's token is rotated on disk, an exec plugin's certificate expires.
 */
export interface ClusterAccess {
  /** The API server's URL, when known without loading anything (for messages and CloudEvent sources). */
  readonly server: string | undefined;
  /** The URL requests go to (may load the configuration). */
  endpoint(): Promise<string>;
  credentials(): Promise<Credentials>;
  /** The same access as client-node's KubeConfig, loaded on request (for its watches). */
  kubeConfig(): Promise<KubeConfig>;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** How long a token read from a file is used before it is read again (client-go's figure). */
const TOKEN_FILE_TTL_MS = 60_000;

/**
 * A token kept in a file that its issuer rewrites (a projected service-account token is
 * replaced well before its hour is up): read again once a minute, as client-go does.
 */
function tokenFile(path: string): () => string {
  let token = '';
  let readAt = -Infinity;
  return () => {
    if (performance.now() - readAt > TOKEN_FILE_TTL_MS) {
      token = readFileSync(path, 'utf8').trim();
      readAt = performance.now();
    }
    return token;
  };
}

const fixed = (
  server: string,
  tls: Omit<Credentials, 'headers'>,
  token: (() => string) | undefined,
  kubeConfig: () => Promise<KubeConfig>,
): ClusterAccess => ({
  server,
  endpoint: async () => server,
  credentials: async () => ({ ...tls, headers: token ? { authorization: `Bearer ${token()}` } : ({} as Record<string, string>) }),
  kubeConfig,
});

/** client-node's KubeConfig, loaded as `how` says on the first call and kept. */
function loadKubeConfig(how: (kc: KubeConfig) => void): () => Promise<KubeConfig> {
  let loaded: Promise<KubeConfig> | undefined;
  return () =>
    (loaded ??= import('@kubernetes/client-node/dist/config.js').then(({ KubeConfig }) => {
      const kc = new KubeConfig();
      how(kc);
      return kc;
    }));
}

/** The pod's service account, as every container in a cluster is given it. */
export function serviceAccountAccess(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): ClusterAccess {
  const host = env.KUBERNETES_SERVICE_HOST!;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`;
  return fixed(
    server,
    { ca: readFileSync(join(dir, 'ca.crt')) },
    tokenFile(join(dir, 'token')),
    loadKubeConfig((kc) => kc.loadFromCluster()),
  );
}

type Fields = Record<string, unknown>;

/** What Sluice reads itself; a kubeconfig that needs more (exec plugins, auth providers, proxies) goes to client-node. */
const OWN_CLUSTER_FIELDS = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name',
  'extensions',
]);
const OWN_USER_FIELDS = new Set([
  'token',
  'tokenFile',
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'extensions',
]);

/**
 * A kubeconfig (`doc`, as parsed from the file at `path`) of the common kinds: a token or a
 * client certificate, a CA or none. Read without client-node, whose KubeConfig loads every
 * auth provider it supports (exec's child_process, OIDC, cloud plugins) and was a tenth of a
 * function's start. Undefined for anything else, which client-node then reads.
 */
export function ownKubeconfigAccess(path: string, doc: unknown): ClusterAccess | undefined {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`kubeconfig ${path} is not a YAML mapping`);
  const config = doc as Fields;
  // An entry of a named list (`contexts`, `clusters`, `users`): its `context`, `cluster` or `user` mapping.
  const pick = (list: unknown, name: unknown, field: string): Fields | undefined => {
    const entry = Array.isArray(list) ? (list as (Fields | null)[]).find((e) => e?.name === name) : undefined;
    const value = entry?.[field];
    return value && typeof value === 'object' ? (value as Fields) : undefined;
  };
  const context = pick(config.contexts, config['current-context'], 'context');
  if (!context) return undefined;
  const cluster = pick(config.clusters, context.cluster, 'cluster');
  const user = pick(config.users, context.user, 'user') ?? {};
  if (!cluster || typeof cluster.server !== 'string') return undefined;
  if (Object.keys(cluster).some((k) => !OWN_CLUSTER_FIELDS.has(k)) || Object.keys(user).some((k) => !OWN_USER_FIELDS.has(k)))
    return undefined;
  const relative = (p: unknown) => (isAbsolute(String(p)) ? String(p) : join(dirname(path), String(p)));
  const material = (data: unknown, file: unknown) =>
    typeof data === 'string' ? Buffer.from(data, 'base64') : typeof file === 'string' ? readFileSync(relative(file)) : undefined;
  const tls: Omit<Credentials, 'headers'> = {
    ca: material(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: material(user['client-certificate-data'], user['client-certificate']),
    key: material(user['client-key-data'], user['client-key']),
    ...(cluster['insecure-skip-tls-verify'] === true ? { rejectUnauthorized: false } : {}),
    ...(typeof cluster['tls-server-name'] === 'string' ? { servername: cluster['tls-server-name'] } : {}),
  };
  const token =
    typeof user.token === 'string'
      ? () => user.token as string
      : typeof user.tokenFile === 'string'
        ? tokenFile(relative(user.tokenFile))
        : undefined;
  return fixed(
    cluster.server.replace(/\/+$/, ''),
    tls,
    token,
    loadKubeConfig((kc) => kc.loadFromFile(path)),
  );
}

/**
 * Access through client-node's KubeConfig, which knows every way a kubeconfig may
 * authenticate; loaded on first use, so a process that never needs it never pays for it.
 */
export function clientNodeAccess(kc: () => Promise<KubeConfig>, server?: string): ClusterAccess {
  return {
    server,
    kubeConfig: kc,
    endpoint: async () => {
      const url = (await kc()).getCurrentCluster()?.server;
      if (!url) throw new Error('the kubeconfig names no cluster server');
      return url.replace(/\/+$/, '');
    },
    credentials: async () => {
      const config = await kc();
      if (config.getCurrentCluster()?.proxyUrl) throw new Error('kubeconfig clusters with a proxy-url are not supported');
      const opts: {
        ca?: Buffer | string;
        cert?: Buffer | string;
        key?: Buffer | string;
        rejectUnauthorized?: boolean;
        servername?: string;
        headers?: Record<string, unknown>;
      } = {};
      await config.applyToHTTPSOptions(opts);
      const headers = Object.fromEntries(Object.entries(opts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
      return {
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        rejectUnauthorized: opts.rejectUnauthorized,
        servername: opts.servername,
        headers,
      };
    },
  };
}

/**
 * The kubeconfig at `path`. The file is read now (a missing one fails at start); it is parsed
 * at the first request, so that the YAML parser (~40 ms to load) stays out of a function's
 * start, and out of a container's altogether: in a cluster, the service account is used.
 */
export function kubeconfigFileAccess(path: string): ClusterAccess {
  const text = readFileSync(path, 'utf8');
  let loaded: Promise<ClusterAccess> | undefined;
  let server: string | undefined;
  const load = () =>
    (loaded ??= import('yaml').then(({ parse }) => {
      const access = ownKubeconfigAccess(path, parse(text)) ?? clientNodeAccess(loadKubeConfig((kc) => kc.loadFromFile(path)));
      server = access.server;
      return access;
    }));
  return {
    get server() {
      return server;
    },
    endpoint: async () => (await load()).endpoint(),
    credentials: async () => (await load()).credentials(),
    kubeConfig: async () => (await load()).kubeConfig(),
  };
}

const exists = (path: string) => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/**
 * client-node's (and kubectl's) order: $KUBECONFIG, ~/.kube/config, the pod's service
 * account. Several files in $KUBECONFIG are merged by client-node.
 */
export function defaultAccess(env: NodeJS.ProcessEnv = process.env): ClusterAccess {
  const listed = env.KUBECONFIG?.split(delimiter).filter(Boolean) ?? [];
  if (listed.length === 1) return kubeconfigFileAccess(listed[0]!);
  if (listed.length > 1) return clientNodeAccess(loadKubeConfig((kc) => kc.loadFromDefault()));
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  if (exists(home)) return kubeconfigFileAccess(home);
  if (env.KUBERNETES_SERVICE_HOST && exists(join(SERVICE_ACCOUNT_DIR, 'token'))) return serviceAccountAccess(env);
  return clientNodeAccess(loadKubeConfig((kc) => kc.loadFromDefault()));
}
