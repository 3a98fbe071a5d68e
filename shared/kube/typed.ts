import { createHash } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  RbacAuthorizationV1Api,
  Watch,
} from '@kubernetes/client-node';
import { clientNodeAccess } from './access.js';
import { Kube } from './client.js';

/**
 * A Kube that also offers client-node's generated APIs and watches, for what runs beside the
 * functions: the local cluster's pod simulator, the in-process event source, the tests and
 * the benchmarks. The functions themselves use Kube's REST calls only.
 */
export class TypedKube extends Kube {
  readonly config: KubeConfig;
  #clients = new Map<unknown, unknown>();

  constructor(config: KubeConfig) {
    super(clientNodeAccess(async () => config, config.getCurrentCluster()?.server));
    this.config = config;
    shareConnections(config);
  }

  static override fromFile(path: string): TypedKube {
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    return new TypedKube(kc);
  }

  static override fromEnvironment(path?: string): TypedKube {
    const kc = new KubeConfig();
    if (path) kc.loadFromFile(path);
    else kc.loadFromDefault();
    return new TypedKube(kc);
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
}

type AgentFactory = (cluster: { server?: string; proxyUrl?: string; skipTLSVerify?: boolean } | null, options: AgentOptions) => HttpAgent;

/**
 * client-node 1.x makes a new https.Agent for every request (KubeConfig.createAgent, called
 * from applySecurityAuthentication): every API call opened a new TLS connection and built a
 * new TLS secure context, several milliseconds of CPU per call on both sides. Instead, one
 * keep-alive agent per distinct TLS material (CA, client certificate and key, verification
 * settings) is kept and reused; rotated credentials (an exec plugin's new certificate) get a
 * new agent. Proxied clusters keep client-node's own agents.
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
