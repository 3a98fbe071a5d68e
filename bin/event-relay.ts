/**
 * The event relay, for platforms without Knative Eventing (OpenFaaS, docs/openfaas.md): does
 * what ApiServerSource, Broker and PingSource do there. It watches the API server for the
 * functions' subscriptions (the in-process event source: the same CloudEvents ApiServerSource
 * emits), POSTs each event in CloudEvents binary mode to
 * `${GATEWAY_URL}/function/sluice-<kebab-name>`, retries while a function answers 5xx (or
 * cannot be reached) with exponential backoff, and sends every function a ping, at start
 * (a fresh watch sends nothing for objects that already exist) and every
 * SLUICE_RESYNC_SECONDS (default 300), so that each resyncs itself.
 *
 *   GATEWAY_URL=http://gateway.openfaas.svc:8080 node dist/event-relay.cjs
 *
 * Serves `/healthz` (alive) and `/readyz` (watching) on PORT (default 8080).
 */
import { randomUUID } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { CloudEvent, HTTP } from 'cloudevents';
import type { Logger } from 'pino';
import { loadAll } from '../functions/index.js';
import { type Settings, SettingsError, loadSettings } from '../shared/config.js';
import { Kube } from '../shared/kube/client.js';
import { createLogger } from '../shared/log.js';
import { serviceAccountName } from '../shared/runtime/rbac.js';
import type { SluiceFunction } from '../shared/runtime/define.js';
import type { Reply } from '../shared/runtime/dispatch.js';
import { InProcessEventSource } from '../shared/runtime/event-source.js';
import { PING_EVENT, type SluiceEvent, apiServerEvent } from '../shared/runtime/events.js';
import { DeliveryQueue } from '../shared/runtime/queue.js';
import { replyOfAnswer } from '../shared/runtime/routes.js';

/** The OpenFaaS function a Sluice function is deployed as (the same name as its Knative Service). */
export const functionUrl = (gatewayUrl: string, fnName: string) =>
  `${gatewayUrl.replace(/\/+$/, '')}/function/${serviceAccountName({ name: fnName })}`;

export const RELAY_SOURCE = '/sluice/event-relay';

/**
 * The CloudEvent for a decoded event, as ApiServerSource or PingSource would have sent it.
 * The id is the event's own, so a retried delivery is recognisably the same event.
 */
export function toCloudEvent(event: SluiceEvent, pluralOf: (apiVersion: string, kind: string) => string): CloudEvent<unknown> {
  if (event.mode === 'ping') {
    return new CloudEvent<unknown>(
      { id: event.id, type: PING_EVENT, source: event.source, datacontenttype: 'application/json', data: event.data ?? {} },
      false,
    );
  }
  const object =
    event.mode === 'resource'
      ? event.object
      : {
          apiVersion: event.ref.apiVersion,
          kind: event.ref.kind,
          metadata: { name: event.ref.name, ...(event.ref.namespace ? { namespace: event.ref.namespace } : {}) },
        };
  const ce = apiServerEvent({
    verb: event.verb,
    object,
    mode: event.mode,
    source: event.source,
    resource: pluralOf(event.ref.apiVersion, event.ref.kind),
  });
  return ce.cloneWith({ id: event.id }, false);
}

type Fetch = typeof fetch;

/** POSTs one event to its function; any HTTP answer is a Reply (5xx is retried by the queue), a network failure throws. */
export async function postEvent(
  url: string,
  ce: CloudEvent<unknown>,
  fnName: string,
  opts: { fetch?: Fetch; timeoutMs?: number } = {},
): Promise<Reply> {
  const message = HTTP.binary(ce);
  const res = await (opts.fetch ?? fetch)(url, {
    method: 'POST',
    headers: message.headers as Record<string, string>,
    body: message.body as string,
    signal: AbortSignal.timeout(opts.timeoutMs ?? 300_000),
  });
  return replyOfAnswer(fnName, ce.id, res.status, (name) => res.headers.get(name), await res.text());
}

export interface RelayOptions {
  gatewayUrl: string;
  functions: readonly SluiceFunction[];
  kube: Kube;
  settings: Settings;
  log: Logger;
  fetch?: Fetch;
  timeoutMs?: number;
  concurrency?: number;
  maxBackoffMs?: number;
}

export class EventRelay {
  readonly queue: DeliveryQueue;
  readonly source: InProcessEventSource;
  #ready = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: RelayOptions) {
    const plurals = new Map<string, string>();
    for (const fn of opts.functions) {
      for (const sub of fn.subscriptions) plurals.set(`${sub.resource.apiVersion}/${sub.resource.kind}`, sub.resource.plural);
    }
    const pluralOf = (apiVersion: string, kind: string) => plurals.get(`${apiVersion}/${kind}`) ?? `${kind.toLowerCase()}s`;
    this.queue = new DeliveryQueue(
      async (fnName, event) => {
        const reply = await postEvent(functionUrl(opts.gatewayUrl, fnName), toCloudEvent(event, pluralOf), fnName, opts);
        const level = reply.status >= 500 ? 'warn' : 'debug';
        opts.log[level](
          { function: fnName, eventId: event.id, status: reply.status, outcome: reply.outcome, reason: reply.reason },
          'delivered',
        );
        return reply;
      },
      opts.log,
      opts.concurrency ?? 16,
      opts.maxBackoffMs ?? 30_000,
    );
    this.source = new InProcessEventSource(
      opts.kube,
      opts.settings,
      opts.log,
      (event, fnName) => this.queue.push(event, fnName),
      (fnNames) => this.ping(fnNames, 'watch re-listed'),
    );
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Starts every watch, then pings every function once; then every `resyncEveryMs`. */
  async start(resyncEveryMs?: number): Promise<void> {
    await this.source.start(this.opts.functions);
    this.#ready = true;
    this.pingAll('relay started');
    if (resyncEveryMs) {
      this.#timer = setInterval(() => this.pingAll('periodic resync'), resyncEveryMs);
      this.#timer.unref();
    }
  }

  /** Queues a ping (resync) for every function. */
  pingAll(reason: string): void {
    this.ping(
      this.opts.functions.map((fn) => fn.name),
      reason,
    );
  }

  /** Queues a ping (resync) for these functions: a watch re-listed, so their events may have been missed. */
  ping(fnNames: readonly string[], reason: string): void {
    for (const name of fnNames) this.queue.push({ mode: 'ping', id: randomUUID(), source: RELAY_SOURCE, data: { reason } }, name);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.source.stop();
    this.queue.stop();
  }
}

function healthServer(relay: EventRelay): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/healthz') return reply(200, { status: 'ok' });
    if (path === '/readyz') return relay.ready ? reply(200, { status: 'ready' }) : reply(503, { status: 'starting' });
    return reply(404, { reason: `no route for ${req.method} ${path}` });
  });
}

async function main() {
  const settings = loadSettings(process.env, process.argv.slice(2));
  const log = createLogger(settings.logLevel).child({ component: 'event-relay' });
  const gatewayUrl = process.env.GATEWAY_URL;
  if (!gatewayUrl || !/^https?:\/\//.test(gatewayUrl)) {
    console.error('GATEWAY_URL must be the OpenFaaS gateway URL, e.g. http://gateway.openfaas.svc:8080');
    process.exit(2);
  }
  const resyncSeconds = Number(process.env.SLUICE_RESYNC_SECONDS ?? 300);
  if (!Number.isFinite(resyncSeconds) || resyncSeconds < 0) {
    console.error('SLUICE_RESYNC_SECONDS must be a number of seconds (0: no periodic resync)');
    process.exit(2);
  }
  const functions = await loadAll();
  const relay = new EventRelay({ gatewayUrl, functions, kube: Kube.fromEnvironment(settings.kubeconfig), settings, log });
  const server = healthServer(relay).listen(settings.port, '0.0.0.0');
  await relay.start(resyncSeconds * 1000);
  log.info({ gatewayUrl, functions: functions.map((f) => f.name), resyncSeconds }, 'event relay watching');

  const shutdown = () => {
    relay.stop();
    server.close();
    process.exit(0);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(
      err instanceof SettingsError ? `Invalid setting: ${err.message}` : `event relay failed to start: ${(err as Error).message}`,
    );
    process.exit(1);
  });
}
