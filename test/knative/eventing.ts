/**
 * Knative Eventing's real components for the system test (real-eventing.test.ts): the
 * ApiServerSource receive adapter and the MT broker's ingress and filter, built by
 * scripts/build-knative.sh from the pinned knative.dev/eventing module, run as processes
 * against the test bed's kube-apiserver. What Knative's controllers would write (a
 * Trigger's subscriber URI, the Broker's addresses, an adapter's environment) the test
 * writes the same way; the one stand-in is the channel between ingress and filter
 * (ChannelStandIn), for the reasons given there.
 */
import { spawn } from 'node:child_process';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { basename, dirname, join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { repoPath } from '../support/files.js';
import type { KubeObject } from '../packaging/support.js';

/**
 * The directory of the three binaries, building them the first time (minutes; progress on
 * stderr), or why they cannot be had (no Go, no module proxy): the caller skips, saying so.
 */
export async function knativeBinaries(log: (line: string) => void): Promise<{ dir: string } | { unavailable: string }> {
  const child = spawn('bash', [repoPath('scripts/build-knative.sh')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  const tail: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  createInterface(child.stderr).on('line', (line) => {
    tail.push(line);
    if (tail.length > 15) tail.shift();
    log(line);
  });
  const code = await new Promise<number | null>((resolve) => child.once('error', () => resolve(-1)).once('close', resolve));
  const dir = stdout.trim().split('\n').pop() ?? '';
  return code === 0 && dir ? { dir } : { unavailable: `scripts/build-knative.sh failed (exit ${code}): ${tail.join('\n')}` };
}

/**
 * The knative.dev/eventing module the binaries were built from, in Sluice's Go module cache
 * (<cache>/knative-<version>/bin → <cache>/go/mod/knative.dev/eventing@<version>): its
 * config/ has the release's own CRDs.
 */
export function eventingModuleDir(binDir: string): string {
  const release = basename(dirname(binDir)); // knative-v0.48.2
  const cache = dirname(dirname(binDir));
  return join(cache, 'go', 'mod', 'knative.dev', `eventing@${release.replace(/^knative-/, '')}`);
}

/** A kubeconfig file that authenticates with `token` (a service account's) to the admin kubeconfig's cluster. */
export function tokenKubeconfig(adminKubeconfig: string, user: string, token: string, file: string): string {
  const admin = new KubeConfig();
  admin.loadFromFile(adminKubeconfig);
  const cluster = admin.getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: user, token }],
    contexts: [{ name: user, cluster: cluster.name, user }],
    currentContext: user,
  });
  writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
  return file;
}

type ApiServerSourceSpec = {
  mode?: string;
  serviceAccountName?: string;
  resources: { apiVersion: string; kind: string; selector?: { matchLabels?: Record<string, string> } }[];
  namespaceSelector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values: string[] }[] };
  ceOverrides?: { extensions: Record<string, string> };
};

/** `Kind` → `kinds`, as the controller guesses a resource from a kind (meta.UnsafeGuessKindToResource). */
const guessResource = (kind: string) => {
  const lower = kind.toLowerCase();
  return lower.endsWith('s') ? `${lower}es` : lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : `${lower}s`;
};

/**
 * The environment Knative's ApiServerSource controller gives the receive adapter's container
 * (pkg/reconciler/apiserversource/resources/receive_adapter.go, makeEnv): the sink, the
 * source's config as JSON, its namespace and name, the metrics domain, the logging and
 * observability config (empty config maps: `{}`), the CloudEvent overrides. `namespaces`:
 * those the source's namespaceSelector matches now (the controller lists them); an empty
 * selector means all namespaces.
 */
export function adapterEnvironment(
  source: KubeObject,
  opts: { sink: string; systemNamespace: string; namespaces: string[] },
): Record<string, string> {
  const spec = source.spec as ApiServerSourceSpec;
  const selector = spec.namespaceSelector;
  const allNamespaces = !!selector && !selector.matchLabels && !selector.matchExpressions;
  const config = {
    namespaces: selector ? (allNamespaces ? [] : opts.namespaces) : [source.metadata.namespace!],
    allNamespaces,
    resources: spec.resources.map((r) => {
      const [group, version] = r.apiVersion.includes('/') ? r.apiVersion.split('/') : ['', r.apiVersion];
      const labels = Object.entries(r.selector?.matchLabels ?? {}).sort(([a], [b]) => a.localeCompare(b));
      return {
        gvr: { Group: group, Version: version, Resource: guessResource(r.kind) },
        ...(labels.length ? { selector: labels.map(([k, v]) => `${k}=${v}`).join(',') } : {}),
      };
    }),
    mode: spec.mode ?? 'Reference',
  };
  return {
    K_SINK: opts.sink,
    K_SOURCE_CONFIG: JSON.stringify(config),
    SYSTEM_NAMESPACE: opts.systemNamespace,
    NAMESPACE: source.metadata.namespace!,
    NAME: source.metadata.name,
    METRICS_DOMAIN: 'knative.dev/eventing',
    K_LOGGING_CONFIG: '{}',
    K_OBSERVABILITY_CONFIG: '{}',
    ...(spec.ceOverrides ? { K_CE_OVERRIDES: JSON.stringify(spec.ceOverrides) } : {}),
  };
}

/** The simulated kubelet's annotation (shared/local/pod-simulator.ts): `hang` keeps a pod Pending, `run` makes it ready. */
export const OUTCOME_ANNOTATION = 'sim.sluice.dev/outcome';

/**
 * The receive adapter's Deployment as Knative's ApiServerSource controller makes it
 * (MakeReceiveAdapter): named after the source and its uid, owned by it, labelled with the
 * source's name, one replica running as the source's service account, with the adapter's
 * environment. Its pods are run by the test, not by a kubelet: they start Pending (`hang`)
 * and the test marks each ready once it runs that pod's adapter process, as the readiness
 * probe would.
 */
export function adapterDeployment(source: KubeObject & { metadata: { uid?: string } }, env: Record<string, string>): KubeObject {
  const labels = { 'eventing.knative.dev/source': 'apiserver-source-controller', 'eventing.knative.dev/sourceName': source.metadata.name };
  const name = `apiserversource-${source.metadata.name}-${source.metadata.uid}`;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: name.length <= 63 ? name : `apiserversource-${source.metadata.uid}`,
      namespace: source.metadata.namespace,
      labels,
      ownerReferences: [
        {
          apiVersion: source.apiVersion,
          kind: source.kind,
          name: source.metadata.name,
          uid: source.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    } as KubeObject['metadata'],
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: { [OUTCOME_ANNOTATION]: 'hang' } },
        spec: {
          serviceAccountName: (source.spec as { serviceAccountName: string }).serviceAccountName,
          enableServiceLinks: false,
          containers: [
            {
              name: 'receive-adapter',
              image: 'apiserver-receive-adapter', // never pulled: the test runs the process
              env: Object.entries(env).map(([n, value]) =>
                n === 'NAMESPACE' ? { name: n, valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } } : { name: n, value },
              ),
              ports: [
                { name: 'metrics', containerPort: 9090 },
                { name: 'probes', containerPort: 8080 },
              ],
              readinessProbe: { httpGet: { path: 'readiness', port: 'probes' } },
              livenessProbe: { httpGet: { path: 'health', port: 'probes' } },
            },
          ],
        },
      },
    },
  };
}

/** One delivery of an event to the filter for one Trigger, as the channel saw its answer. */
export interface Delivery {
  trigger: string;
  id: string;
  type: string;
  subject: string;
  attempt: number;
  status: number;
  body: string;
}

interface Subscriber {
  name: string;
  uri: string;
}

const RETRYABLE = new Set([404, 408, 409, 429]);

/**
 * Plays the Broker's channel (the InMemoryChannel dispatcher of Knative's MT channel-based
 * Broker): takes each event the ingress sends it, answers 202, and delivers it to the filter
 * once per Trigger (`/triggers/<ns>/<name>/<uid>`, the subscriber URI the Broker's controller
 * gives each Trigger's Subscription), retrying as the Broker's `delivery` says (retry,
 * exponential backoff from backoffDelay) on 5xx, 404, 408, 409 and 429, and sending what
 * still failed to the dead-letter sink. A reply that is a CloudEvent goes back to the
 * ingress, as the Subscription's reply does. The real dispatcher (cmd/in_memory/
 * channel_dispatcher) routes by the channel's cluster host name and needs Knative's
 * controllers to fill in every InMemoryChannel's subscribers; this is the part of the wiring
 * that cannot run outside a cluster.
 */
export class ChannelStandIn {
  readonly deliveries: Delivery[] = [];
  readonly replies: Delivery[] = [];
  #server: Server | undefined;
  #inFlight = 0;
  #subscribers: Subscriber[] = [];

  constructor(private readonly opts: { retry: number; backoffDelayMs: number; deadLetterUri: string; replyUri: string }) {}

  setSubscribers(subscribers: Subscriber[]): void {
    this.#subscribers = subscribers;
  }

  async listen(port: number): Promise<string> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(202).end();
        const body = Buffer.concat(chunks);
        for (const s of this.#subscribers) void this.#deliver(s, forwardable(req.headers), body);
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${port}/`;
  }

  /** Whether no delivery is under way. */
  get idle(): boolean {
    return this.#inFlight === 0;
  }

  async #deliver(to: Subscriber, headers: Record<string, string>, body: Buffer): Promise<void> {
    this.#inFlight++;
    try {
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(to.uri, { method: 'POST', headers, body }).catch(() => undefined);
        const text = res ? await res.text() : '';
        const status = res?.status ?? 0;
        const delivery = {
          trigger: to.name,
          id: headers['ce-id'] ?? '',
          type: headers['ce-type'] ?? '',
          subject: headers['ce-subject'] ?? '',
          attempt,
          status,
          body: text,
        };
        this.deliveries.push(delivery);
        if (res && status < 300) {
          if (res.headers.get('ce-specversion') || res.headers.get('content-type')?.startsWith('application/cloudevents')) {
            this.replies.push(delivery);
            await fetch(this.opts.replyUri, { method: 'POST', headers: Object.fromEntries(res.headers), body: text }).catch(
              () => undefined,
            );
          }
          return;
        }
        const retryable = !res || status >= 500 || RETRYABLE.has(status);
        if (!retryable || attempt > this.opts.retry) {
          await fetch(this.opts.deadLetterUri, { method: 'POST', headers, body }).catch(() => undefined);
          return;
        }
        await new Promise((r) => setTimeout(r, this.opts.backoffDelayMs * 2 ** (attempt - 1)));
      }
    } finally {
      this.#inFlight--;
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

/** The request's headers a dispatcher passes on (the CloudEvent's, its content type, Knative's). */
function forwardable(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') continue;
    if (name.startsWith('ce-') || name === 'content-type' || name.startsWith('kn-') || name.startsWith('traceparent')) out[name] = value;
  }
  return out;
}

/** Counts what reaches the dead-letter sink. */
export class DeadLetterSink {
  readonly received: { type: string; subject: string }[] = [];
  #server: Server | undefined;

  async listen(port: number): Promise<string> {
    this.#server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        this.received.push({ type: String(req.headers['ce-type'] ?? ''), subject: String(req.headers['ce-subject'] ?? '') });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${port}/dead-letters`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
