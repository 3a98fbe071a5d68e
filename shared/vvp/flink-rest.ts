import type { V1Pod } from '@kubernetes/client-node';
import type { Kube } from '../kube/client.js';
import { PODS } from '../kube/resources.js';
import { FLINK_PORTS, jobManagerName } from './flink-resources.js';

/**
 * A small client for the Flink JobManager's REST API: what Sluice needs to take a savepoint
 * while stopping a job (stop-with-savepoint), to follow it, and to read a job's state.
 *
 *   POST /jobs/{jobId}/stop                  {targetDirectory, drain: false[, triggerId]} → {"request-id"}
 *   GET  /jobs/{jobId}/savepoints/{trigger}  → {status: {id: IN_PROGRESS|COMPLETED},
 *                                               operation: {location} | {"failure-cause": {...}}}
 *   GET  /jobs/{jobId}                       → {jid, state, vertices: [{status}], ...}
 *   GET  /jobs/{jobId}/exceptions            → {exceptionHistory: {entries: [{exceptionName, stacktrace, timestamp}]}}
 *   GET  /jobs/{jobId}/metrics?get=numRestarts → [{id: "numRestarts", value: "3"}]
 *   PATCH /jobs/{jobId}?mode=cancel          → 202 (tests cancel a job inside Flink)
 *
 * Every request has a timeout; reads are retried a few times on network errors. A request
 * that changes something is retried only when that cannot do it twice: when the connection
 * was refused (nothing was sent), or when the request carries an idempotency `triggerId`
 * (Flink ≥ 1.15 answers a repeated trigger id with the same operation).
 */

/** Where a job's JobManager REST endpoint is: `http://host:port`, no trailing slash. */
export type FlinkEndpointResolver = (job: { namespace: string; jobId: string }) => Promise<string>;

/** The JobManager is unreachable (no pod, no IP, connection refused, timeout). */
export class FlinkUnreachable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FlinkUnreachable';
  }
}

/** The JobManager answered, with an error status. */
export class FlinkRestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'FlinkRestError';
  }
}

/**
 * Resolves the JobManager by its pod's IP: pods labelled `jobId=<id>,component=jobmanager`
 * in the target namespace, `status.podIP`, port 8081. Works wherever the caller can reach pod
 * IPs, without cluster DNS (and in tests, where the pod simulator gives JobManager pods
 * loopback IPs with a Flink REST stand-in behind them). Needs `list` on pods in the target
 * namespaces.
 */
export function podIpResolver(kube: Kube): FlinkEndpointResolver {
  return async ({ namespace, jobId }) => {
    let pods: V1Pod[];
    try {
      pods = (await kube.api<V1Pod>(PODS).list({ namespace, labelSelector: `jobId=${jobId},component=jobmanager` })).items;
    } catch (err) {
      throw new FlinkUnreachable(`cannot list the JobManager pods of job ${jobId} in ${namespace}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return jobManagerEndpoint(pods, { namespace, jobId });
  };
}

/**
 * The JobManager's REST endpoint among pods already read (a job's pods, as a step listed
 * them): its pod's IP, without listing again.
 */
export function jobManagerEndpoint(pods: readonly V1Pod[], { namespace, jobId }: { namespace: string; jobId: string }): string {
  // Only a running JobManager answers: one whose job stopped keeps running until the
  // savepoint's result was read (or rest.async.store-duration passed), then exits.
  const pod = pods.find(
    (p) =>
      p.metadata?.labels?.jobId === jobId &&
      p.metadata.labels.component === 'jobmanager' &&
      !p.metadata.deletionTimestamp &&
      p.status?.podIP &&
      p.status.phase === 'Running',
  );
  if (!pod) throw new FlinkUnreachable(`job ${jobId} has no running JobManager pod with an IP in namespace ${namespace}`);
  const ip = pod.status!.podIP!;
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${restPortOf(pod)}`;
}

/** The JobManager container's `rest` port (taken from the job's configuration), else Flink's default. */
function restPortOf(pod: V1Pod): number {
  for (const c of pod.spec?.containers ?? []) {
    const port = c.ports?.find((p) => p.name === 'rest')?.containerPort;
    if (port) return port;
  }
  return FLINK_PORTS.rest;
}

/**
 * Resolves the JobManager by its Service's cluster DNS name, `job-<id>-jobmanager.<ns>.svc`
 * (port 8081): for callers inside the cluster that have DNS. Needs no Kubernetes API call.
 */
export function serviceDnsResolver(clusterDomain?: string): FlinkEndpointResolver {
  return async ({ namespace, jobId }) =>
    `http://${jobManagerName(jobId)}.${namespace}.svc${clusterDomain ? `.${clusterDomain}` : ''}:${FLINK_PORTS.rest}`;
}

/**
 * The resolver this process is configured for: the JobManager pod's IP by default (works
 * without cluster DNS, and against the pod simulator's stand-ins); SLUICE_FLINK_ENDPOINT=service-dns
 * uses the Service's DNS name `job-<id>-jobmanager.<ns>.svc:8081` instead.
 */
export function configuredResolver(kube: Kube, env: NodeJS.ProcessEnv = process.env): FlinkEndpointResolver {
  return env.SLUICE_FLINK_ENDPOINT === 'service-dns' ? serviceDnsResolver() : podIpResolver(kube);
}

/** The configured resolver for a caller that has just listed the job's pods: the pod's IP comes from them. */
export function resolverWithPods(pods: readonly V1Pod[], env: NodeJS.ProcessEnv = process.env): FlinkEndpointResolver {
  return env.SLUICE_FLINK_ENDPOINT === 'service-dns' ? serviceDnsResolver() : async (job) => jobManagerEndpoint(pods, job);
}

export type TriggerStatus = { state: 'IN_PROGRESS' } | { state: 'COMPLETED'; location: string } | { state: 'FAILED'; message: string };

export interface FlinkRestOptions {
  /** Per request (ms). */
  timeoutMs?: number;
  /** Extra tries of a request after a network error. */
  retries?: number;
  retryDelayMs?: number;
  fetch?: typeof fetch;
}

const NETWORK =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|ENOTFOUND|EAI_AGAIN|socket hang up|fetch failed|aborted|timeout/i;
const refused = (err: unknown) =>
  /ECONNREFUSED/.test(`${(err as Error)?.message ?? ''} ${String((err as { cause?: unknown })?.cause ?? '')}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The message of Flink's `{"errors": [...]}` error body, or the raw text. */
function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: unknown[] };
    if (Array.isArray(parsed.errors) && parsed.errors.length) return parsed.errors.map(String).join('; ').split('\n')[0]!;
  } catch {
    // not JSON
  }
  return body.slice(0, 500);
}

/**
 * A Java stack trace as one line: what was thrown, and what caused it at the bottom when that
 * is something else (Flink wraps a task's exception, e.g. "Recovery is suppressed by ...").
 */
export function describeStackTrace(trace: string): string {
  const lines = trace.split('\n').map((l) => l.trim());
  const first = lines.find((l) => l !== '') ?? '';
  const causes = lines.filter((l) => l.startsWith('Caused by: ')).map((l) => l.slice('Caused by: '.length));
  const deepest = causes[causes.length - 1];
  return deepest && deepest !== first ? `${first}; caused by ${deepest}` : first;
}

/** Flink's SerializedThrowable as its REST API shows it: the first line of the stack trace says what failed. */
export function describeFailureCause(cause: unknown): string {
  const c = (cause ?? {}) as { class?: string; 'stack-trace'?: string; message?: string };
  const first = c['stack-trace']
    ?.split('\n')
    .find((l) => l.trim() !== '')
    ?.trim();
  return first ?? c.message ?? c.class ?? 'unknown failure';
}

export class FlinkRestClient {
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #fetch: typeof fetch;

  constructor(
    readonly endpoint: string,
    opts: FlinkRestOptions = {},
  ) {
    this.#timeoutMs = opts.timeoutMs ?? 5_000;
    this.#retries = opts.retries ?? 2;
    this.#retryDelayMs = opts.retryDelayMs ?? 200;
    this.#fetch = opts.fetch ?? fetch;
  }

  async #request<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body: unknown, safeToRepeat: boolean): Promise<T> {
    const url = `${this.endpoint}${path}`;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.#fetch(url, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (err) {
        const text = `${(err as Error).message} ${String((err as { cause?: unknown }).cause ?? '')}`;
        if (!NETWORK.test(text) && (err as Error).name !== 'TimeoutError') throw err;
        if (attempt < this.#retries && (safeToRepeat || refused(err))) {
          await sleep(this.#retryDelayMs * (attempt + 1));
          continue;
        }
        throw new FlinkUnreachable(
          `${method} ${url}: ${(err as Error).name === 'TimeoutError' ? `no answer within ${this.#timeoutMs} ms` : text.trim()}`,
          { cause: err },
        );
      }
      const text = await res.text();
      if (!res.ok) throw new FlinkRestError(`${method} ${path}: HTTP ${res.status}: ${errorText(text)}`, res.status);
      try {
        return (text ? JSON.parse(text) : {}) as T;
      } catch {
        throw new FlinkRestError(`${method} ${path}: the answer is not JSON: ${text.slice(0, 200)}`, res.status);
      }
    }
  }

  /**
   * Stops the job with a savepoint in `targetDirectory` (not draining: the job can resume).
   * Returns the trigger id to poll. With `triggerId` (Flink ≥ 1.15) the request is idempotent.
   */
  async stopWithSavepoint(flinkJobId: string, targetDirectory: string, triggerId?: string): Promise<string> {
    const body = { targetDirectory, drain: false, ...(triggerId ? { triggerId } : {}) };
    const res = await this.#request<{ 'request-id'?: string }>('POST', `/jobs/${flinkJobId}/stop`, body, triggerId !== undefined);
    const id = res['request-id'];
    if (!id) throw new FlinkRestError(`POST /jobs/${flinkJobId}/stop: no request-id in the answer`, 200);
    return id;
  }

  /**
   * Takes a savepoint in `targetDirectory` and leaves the job running (a user's request).
   * Returns the trigger id to poll, as for a stop. With `triggerId` (Flink ≥ 1.15) the request is idempotent.
   */
  async triggerSavepoint(flinkJobId: string, targetDirectory: string, triggerId?: string): Promise<string> {
    const body = { 'target-directory': targetDirectory, 'cancel-job': false, ...(triggerId ? { triggerId } : {}) };
    const res = await this.#request<{ 'request-id'?: string }>('POST', `/jobs/${flinkJobId}/savepoints`, body, triggerId !== undefined);
    const id = res['request-id'];
    if (!id) throw new FlinkRestError(`POST /jobs/${flinkJobId}/savepoints: no request-id in the answer`, 200);
    return id;
  }

  /** The state of a savepoint operation. A trigger id the JobManager does not know is a FlinkRestError 404. */
  async savepointStatus(flinkJobId: string, triggerId: string): Promise<TriggerStatus> {
    const res = await this.#request<{ status?: { id?: string }; operation?: { location?: string; 'failure-cause'?: unknown } }>(
      'GET',
      `/jobs/${flinkJobId}/savepoints/${triggerId}`,
      undefined,
      true,
    );
    if (res.status?.id !== 'COMPLETED') return { state: 'IN_PROGRESS' };
    if (res.operation?.location) return { state: 'COMPLETED', location: res.operation.location };
    return { state: 'FAILED', message: describeFailureCause(res.operation?.['failure-cause']) };
  }

  /** The job's state as Flink says it (RUNNING, FINISHED, CANCELED, FAILED, ...). */
  async jobState(flinkJobId: string): Promise<string> {
    return (await this.job(flinkJobId)).state;
  }

  /** The job's state, and whether every task of it runs (or has finished). A job Flink does not know is a FlinkRestError 404. */
  async job(flinkJobId: string): Promise<{ jid: string; state: string; tasksRunning: boolean }> {
    const res = await this.#request<{ jid?: string; state?: string; vertices?: { status?: string }[] }>(
      'GET',
      `/jobs/${flinkJobId}`,
      undefined,
      true,
    );
    const tasksRunning = (res.vertices ?? []).every((v) => v.status === 'RUNNING' || v.status === 'FINISHED');
    return { jid: res.jid ?? flinkJobId, state: res.state ?? 'UNKNOWN', tasksRunning };
  }

  /** How often Flink restarted the job (its numRestarts metric); undefined when it has no such metric. */
  async restarts(flinkJobId: string): Promise<number | undefined> {
    const res = await this.#request<{ id?: string; value?: string }[]>(
      'GET',
      `/jobs/${flinkJobId}/metrics?get=numRestarts`,
      undefined,
      true,
    );
    const value = Array.isArray(res) ? Number(res.find((m) => m.id === 'numRestarts')?.value) : NaN;
    return Number.isFinite(value) ? value : undefined;
  }

  /** The newest failure in the job's exception history, as one line; undefined when there is none. */
  async rootException(flinkJobId: string): Promise<string | undefined> {
    const res = await this.#request<{
      'root-exception'?: string;
      exceptionHistory?: { entries?: { stacktrace?: string; exceptionName?: string }[] };
    }>('GET', `/jobs/${flinkJobId}/exceptions`, undefined, true);
    const newest = res.exceptionHistory?.entries?.[0];
    // Flink 1.x also has root-exception (removed in 2.0); the history names the failure itself.
    const trace = newest?.stacktrace ?? res['root-exception'];
    return trace ? describeStackTrace(trace) : newest?.exceptionName;
  }

  /** Cancels the job inside Flink (what its web UI's Cancel does). */
  async cancel(flinkJobId: string): Promise<void> {
    await this.#request('PATCH', `/jobs/${flinkJobId}?mode=cancel`, undefined, true);
  }
}
