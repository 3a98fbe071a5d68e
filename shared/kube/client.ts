import { createHash } from 'node:crypto';
import { Agent as HttpAgent, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
// The error class alone: the package's index is imported only where its APIs are used (./typed.ts,
// the event source), and statically importing it here would load all of it into every function.
import { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
import { type ClusterAccess, type Credentials, defaultAccess, kubeconfigFileAccess } from './access.js';
import { type ResourceType, resourceOf } from './resources.js';

type Query = Record<string, string | number | boolean | undefined>;

/** A list as the API server sends it. */
export interface ObjectList<T> {
  items: T[];
  metadata?: { continue?: string; resourceVersion?: string };
}

/** How a PATCH's body is to be read. */
export const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;

/** How often a request the API server refused with 429 and a Retry-After is sent again (client-go sends up to 10). */
const RETRIES_AFTER_429 = 3;
/** The longest Retry-After waited for; longer ones are cut to this. */
const MAX_RETRY_AFTER_S = 5;

/**
 * One cluster connection per process: the API server's REST interface, called with JSON over
 * Node's own http(s) with keep-alive connections. Sluice calls a handful of operations on a
 * dozen resource types; client-node's generated API (every model class of every group) was a
 * fifth of an event function's start and ~8 MB of its memory for them, so functions go through
 * `api(type)` here. Tests and the local cluster use client-node itself (./typed.ts).
 */
export class Kube {
  readonly #access: ClusterAccess;
  readonly #agents = new Map<string, HttpAgent>();
  readonly #apis = new Map<ResourceType, ResourceApi<unknown>>();

  constructor(access: ClusterAccess) {
    this.#access = access;
  }

  static fromFile(path: string): Kube {
    return new Kube(kubeconfigFileAccess(path));
  }

  /** The kubeconfig at `path`, else $KUBECONFIG, ~/.kube/config or the pod's service account. */
  static fromEnvironment(path?: string): Kube {
    return new Kube(path ? kubeconfigFileAccess(path) : defaultAccess());
  }

  /** The API server's URL, when known without loading the configuration (for messages). */
  get server(): string | undefined {
    return this.#access.server;
  }

  /** client-node's KubeConfig for the same cluster and identity (loaded on first call): for watches. */
  kubeConfig(): Promise<KubeConfig> {
    return this.#access.kubeConfig();
  }

  /** The operations on one resource type; `T` is the objects' shape. */
  api<T = KubernetesObject>(type: ResourceType): ResourceApi<T> {
    let api = this.#apis.get(type);
    if (!api) {
      api = new ResourceApi<unknown>(this, type);
      this.#apis.set(type, api);
    }
    return api as ResourceApi<T>;
  }

  /** Creates `object` in its own namespace, its resource found by its apiVersion and kind. */
  async create<T extends KubernetesObject>(object: T): Promise<T> {
    return this.api<T>(resourceOf(object)).create({ namespace: object.metadata?.namespace, body: object });
  }

  /** Deletes `object` (by its apiVersion, kind, namespace and name). */
  async delete(object: KubernetesObject): Promise<void> {
    await this.api(resourceOf(object)).delete({ namespace: object.metadata?.namespace, name: object.metadata!.name! });
  }

  /**
   * A call every identity may make (API discovery): rejects when the API server does not
   * answer. Its first call also sets up the connection, and with it Node's store of root
   * certificates (~20 ms of CPU at a process's first TLS context, whatever CA is given).
   */
  async ping(): Promise<void> {
    await this.request('GET', '/api');
  }

  /**
   * One call. Answers other than 2xx reject with client-node's ApiException (code, the body
   * as text), so one set of predicates below reads errors from both clients. A 429 with a
   * Retry-After (kube-apiserver's "storage is (re)initializing", priority and fairness) is
   * sent again after it, as client-go does; the request's body is JSON, so it can be.
   */
  async request<T>(method: string, path: string, opts: { query?: Query; body?: unknown; contentType?: string } = {}): Promise<T> {
    const url = new URL(`${await this.#access.endpoint()}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    for (let attempt = 0; ; attempt++) {
      const creds = await this.#access.credentials();
      const res = await this.#send(url, method, creds, payload, opts.contentType ?? 'application/json');
      if (res.status >= 200 && res.status < 300) return (res.text ? JSON.parse(res.text) : undefined) as T;
      const retryAfter = Number(res.headers['retry-after']);
      if (res.status === 429 && attempt < RETRIES_AFTER_429 && Number.isFinite(retryAfter)) {
        await new Promise((r) => setTimeout(r, Math.min(Math.max(retryAfter, 0.1), MAX_RETRY_AFTER_S) * 1000));
        continue;
      }
      throw new ApiException(res.status, `${method} ${url.pathname}: HTTP ${res.status}`, res.text, flatHeaders(res.headers));
    }
  }

  #send(url: URL, method: string, creds: Credentials, payload: Buffer | undefined, contentType: string) {
    const headers: Record<string, string | number> = { accept: 'application/json', ...creds.headers };
    if (payload) Object.assign(headers, { 'content-type': contentType, 'content-length': payload.length });
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>((resolve, reject) => {
      const req = send(url, { method, headers, agent: this.#agent(url, creds) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * One keep-alive agent per distinct TLS material (CA, client certificate and key,
   * verification settings): calls share pooled connections and one TLS context, and rotated
   * material (an exec plugin's new certificate) gets a new agent.
   */
  #agent(url: URL, creds: Credentials): HttpAgent {
    const hash = createHash('sha256').update(url.origin);
    for (const v of [creds.ca, creds.cert, creds.key, creds.servername, creds.rejectUnauthorized]) {
      hash.update('\0');
      if (v !== undefined) hash.update(Buffer.isBuffer(v) ? v : JSON.stringify(v));
    }
    const key = hash.digest('base64');
    let agent = this.#agents.get(key);
    if (!agent) {
      const { ca, cert, key: privateKey, servername, rejectUnauthorized } = creds;
      agent =
        url.protocol === 'http:'
          ? new HttpAgent({ keepAlive: true })
          : new HttpsAgent({ keepAlive: true, ca, cert, key: privateKey, servername, rejectUnauthorized });
      this.#agents.set(key, agent);
    }
    return agent;
  }
}

const flatHeaders = (headers: IncomingHttpHeaders) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));

interface At {
  namespace?: string;
}
interface Named extends At {
  name: string;
}

/** The REST operations on one resource type, named as client-go's dynamic client names them. */
export class ResourceApi<T> {
  readonly #base: string;

  constructor(
    private readonly kube: Kube,
    readonly type: ResourceType,
  ) {
    this.#base = type.apiVersion.includes('/') ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  }

  #path({ namespace }: At, name?: string, sub?: string): string {
    const scope = this.type.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${this.#base}${scope}/${this.type.plural}${name === undefined ? '' : `/${encodeURIComponent(name)}`}${sub ? `/${sub}` : ''}`;
  }

  get(at: Named): Promise<T> {
    return this.kube.request('GET', this.#path(at, at.name));
  }

  /** One page (or all, without `limit`) in `namespace`, or in every namespace when it is undefined. */
  list(
    at: At & { labelSelector?: string; fieldSelector?: string; limit?: number; continue?: string; resourceVersion?: string } = {},
  ): Promise<ObjectList<T>> {
    const { namespace: _, ...query } = at;
    return this.kube.request('GET', this.#path(at), { query });
  }

  create(at: At & { body: T }): Promise<T> {
    return this.kube.request('POST', this.#path(at), { body: at.body });
  }

  replace(at: Named & { body: T }): Promise<T> {
    return this.kube.request('PUT', this.#path(at, at.name), { body: at.body });
  }

  replaceStatus(at: Named & { body: T }): Promise<T> {
    return this.kube.request('PUT', this.#path(at, at.name, 'status'), { body: at.body });
  }

  patch(at: Named & { body: unknown; type: keyof typeof PATCH_TYPES }): Promise<T> {
    return this.kube.request('PATCH', this.#path(at, at.name), { body: at.body, contentType: PATCH_TYPES[at.type] });
  }

  /** `body` is the DeleteOptions (propagationPolicy, preconditions). */
  delete(
    at: Named & { body?: { propagationPolicy?: string; preconditions?: { resourceVersion?: string; uid?: string } } },
  ): Promise<unknown> {
    return this.kube.request(
      'DELETE',
      this.#path(at, at.name),
      at.body ? { body: { kind: 'DeleteOptions', apiVersion: 'v1', ...at.body } } : {},
    );
  }
}

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
