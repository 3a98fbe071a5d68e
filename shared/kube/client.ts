import { createHash } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';

/**
 * One cluster connection per process. The API clients are built on first use and kept:
 * building them per event was a measurable cost on the hot path.
 */
export class Kube {
  readonly config: KubeConfig;
  #clients = new Map<unknown, unknown>();

  constructor(config: KubeConfig) {
    this.config = config;
    shareConnections(config);
  }

  static fromFile(path: string): Kube {
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    return new Kube(kc);
  }

  /** In-cluster service account when running as a container, else the default kubeconfig. */
  static fromEnvironment(path?: string): Kube {
    const kc = new KubeConfig();
    if (path) kc.loadFromFile(path);
    else kc.loadFromDefault();
    return new Kube(kc);
  }

  #client<T>(ctor: new (...args: never[]) => T, make: () => T): T {
    let c = this.#clients.get(ctor) as T | undefined;
    if (!c) {
      c = make();
      this.#clients.set(ctor, c);
    }
    return c;
  }

  get core(): CoreV1Api {
    return this.#client(CoreV1Api, () => this.config.makeApiClient(CoreV1Api));
  }
  get apps(): AppsV1Api {
    return this.#client(AppsV1Api, () => this.config.makeApiClient(AppsV1Api));
  }
  get batch(): BatchV1Api {
    return this.#client(BatchV1Api, () => this.config.makeApiClient(BatchV1Api));
  }
  get rbac(): RbacAuthorizationV1Api {
    return this.#client(RbacAuthorizationV1Api, () => this.config.makeApiClient(RbacAuthorizationV1Api));
  }
  get custom(): CustomObjectsApi {
    return this.#client(CustomObjectsApi, () => this.config.makeApiClient(CustomObjectsApi));
  }
  get extensions(): ApiextensionsV1Api {
    return this.#client(ApiextensionsV1Api, () => this.config.makeApiClient(ApiextensionsV1Api));
  }
  get objects(): KubernetesObjectApi {
    return this.#client(KubernetesObjectApi, () => KubernetesObjectApi.makeApiClient(this.config));
  }

  /**
   * A call every identity may make (API discovery): rejects when the API server does not
   * answer. Its first call also sets up the connection, and with it Node's store of root
   * certificates (~20 ms of CPU at a process's first TLS context, whatever CA is given).
   */
  async ping(): Promise<void> {
    await this.core.getAPIResources();
  }
}

type AgentFactory = (cluster: { server?: string; proxyUrl?: string; skipTLSVerify?: boolean } | null, options: AgentOptions) => HttpAgent;

/**
 * client-node 1.x makes a new https.Agent for every request (KubeConfig.createAgent, called
 * from applySecurityAuthentication): every API call opened a new TLS connection and built a
 * new TLS secure context, several milliseconds of CPU per call on both sides and the bulk
 * of a step's cost. Instead, one keep-alive agent per distinct TLS material (CA, client
 * certificate and key, verification settings) is kept and reused, so calls share pooled
 * connections; rotated credentials (an exec plugin's new certificate) get a new agent.
 * Proxied clusters keep client-node's own agents.
 * KubeConfig.createAgent is private: that is why package.json pins client-node to ~1.4 (patch
 * releases only); check this override before moving to a new minor release.
 */
function shareConnections(config: KubeConfig): void {
  const target = config as unknown as { createAgent: AgentFactory; sluiceSharedAgents?: true };
  if (target.sluiceSharedAgents) return;
  const original = target.createAgent.bind(config);
  const agents = new Map<string, HttpAgent>();
  target.sluiceSharedAgents = true;
  target.createAgent = (cluster, options) => {
    if (!cluster || cluster.proxyUrl) return original(cluster, options);
    const hash = createHash('sha256').update(cluster.server ?? '');
    for (const v of [
      options.ca,
      options.cert,
      options.key,
      options.pfx,
      options.passphrase,
      options.servername,
      options.rejectUnauthorized,
    ]) {
      hash.update('\0');
      if (v !== undefined) hash.update(Buffer.isBuffer(v) ? v : JSON.stringify(v));
    }
    const key = hash.digest('base64');
    let agent = agents.get(key);
    if (!agent) {
      const plain = cluster.server?.startsWith('http:');
      if (plain && !cluster.skipTLSVerify) return original(cluster, options); // client-node refuses this: let it say so
      agent = plain ? new HttpAgent({ ...options, keepAlive: true }) : new HttpsAgent({ ...options, keepAlive: true });
      agents.set(key, agent);
    }
    return agent;
  };
}

/** Options for client-node calls that send a JSON merge patch (RFC 7386). */
export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** Options for client-node calls that send a JSON patch (RFC 6902). */
export const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

export function statusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The token to go on with when a paginated list's continue token has expired (410: etcd
 * compacted past the list's first page, every 5 minutes by default), as the API server's
 * Status offers it. The rest of the list is then read at a newer version, so it may not be
 * consistent with the pages before; undefined for any other failure.
 */
export function continueAfterExpiry(err: unknown): string | undefined {
  if (statusCode(err) !== 410) return undefined;
  const token = (apiStatus(err) as { metadata?: { continue?: unknown } } | undefined)?.metadata?.continue;
  return typeof token === 'string' && token ? token : undefined;
}

/** The API server's Status object of a failed call (client-node 1.x leaves it as a JSON string). */
export function apiStatus(err: unknown): { reason?: string; message?: string } | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const body = err.body as unknown;
  if (body && typeof body === 'object') return body as { reason?: string; message?: string };
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as { reason?: string; message?: string };
    } catch {
      return { message: body };
    }
  }
  return undefined;
}

/**
 * A 404 that is not about the object: the API server does not serve the path at all and
 * answers a bare `404 page not found` (plain text, not a Status). Right after kube-apiserver
 * 1.20 restarts, reads of existing custom objects can get that answer for a moment (its CRD
 * informer reports synced before the last CRD is in its lister, so the CRD handler passes the
 * request on to the not-found handler); a step that took it for "the object is gone" skipped
 * its event, which was then lost. It is to be retried, like a 503: `isNotFound` is false and
 * `isUnavailable` true for it.
 */
export function isNotServed(err: unknown): boolean {
  if (!(err instanceof ApiException) || err.code !== 404) return false;
  const body = err.body as unknown;
  if (typeof body !== 'string' || body.trim() === '') return false;
  try {
    const parsed = JSON.parse(body) as unknown;
    return parsed === null || typeof parsed !== 'object';
  } catch {
    return true;
  }
}

/** The object (or its namespace) does not exist: a 404 the API server explains with a Status. */
export const isNotFound = (err: unknown) => statusCode(err) === 404 && !isNotServed(err);
/** A create found the name taken (409, reason AlreadyExists). */
export const isAlreadyExists = (err: unknown) => statusCode(err) === 409 && apiStatus(err)?.reason === 'AlreadyExists';
/** A write named a resourceVersion that is no longer current (409, reason Conflict): read again and retry. */
export const isConflict = (err: unknown) => statusCode(err) === 409 && !isAlreadyExists(err);

/** Message the API server gave, without headers or bodies that may carry credentials. */
export function apiMessage(err: unknown): string {
  if (err instanceof ApiException) return apiStatus(err)?.message ?? `HTTP ${err.code}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * True when the API server could not be reached, answered 5xx/429, or does not serve the
 * path (yet): the step should be retried later (the function replies 5xx so the Broker redelivers).
 */
export function isUnavailable(err: unknown): boolean {
  const code = statusCode(err);
  if (code !== undefined && err instanceof ApiException) return code >= 500 || code === 429 || isNotServed(err);
  const text = `${(err as { code?: unknown })?.code ?? ''} ${(err as Error)?.message ?? ''} ${String((err as { cause?: unknown })?.cause ?? '')}`;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|socket hang up|fetch failed|network/i.test(text);
}

/**
 * Opens a watch of `path` and resolves once it is open. While a resource's watch cache is
 * initializing (just after its CRD is created, or a restart) kube-apiserver answers a watch
 * with 429 since 1.31, where 1.20 held the request; like client-go, this retries after a
 * second. `onDone` sees how an open watch ended.
 */
export async function openWatch<T>(
  config: KubeConfig,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  onEvent: (phase: string, object: T) => void,
  onDone: (err: unknown) => void = () => undefined,
): Promise<AbortController> {
  for (;;) {
    let refused = false;
    const controller = await new Watch(config).watch(path, query, onEvent, (err: unknown) => {
      if ((err as { statusCode?: number } | null)?.statusCode === 429) refused = true;
      else onDone(err);
    });
    if (!refused) return controller;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
