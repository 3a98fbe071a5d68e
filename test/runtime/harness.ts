import type { AddressInfo } from 'node:net';
import { CloudEvent, HTTP } from 'cloudevents';
import { settingsSchema } from '../../shared/config.js';
import { TypedKube } from '../../shared/kube/typed.js';
import { createLogger } from '../../shared/log.js';
import { type FunctionContext, type SluiceFunction, defineFunction, when } from '../../shared/runtime/define.js';
import { apiServerEvent } from '../../shared/runtime/events.js';
import { createContext } from '../../shared/runtime/define.js';
import { functionRoutes } from '../../shared/runtime/routes.js';
import { routesServer } from '../../shared/runtime/server.js';
import type { CoordinationStore } from '../../shared/runtime/store.js';
import { PODS } from '../../shared/kube/resources.js';
import { testBed } from '../bed/env.js';

/** A function whose side effect is observable: it records every object version it acted on. */
export function recordingFunction(name = 'recordPods') {
  const acted: string[] = [];
  const fn: SluiceFunction = defineFunction({
    name,
    description: 'test function',
    subscriptions: [when(PODS).isAnyChange().withLabels('system=ververica-platform').in('cluster')],
    permissions: [],
    async handle(event) {
      await new Promise((r) => setTimeout(r, 5));
      acted.push(`${event.ref.name}@${event.mode === 'resource' ? event.object.metadata.resourceVersion : '?'}`);
      return { result: 'handled' };
    },
  });
  return { fn, acted };
}

export function contextWith(store: CoordinationStore): FunctionContext {
  const settings = settingsSchema.parse({ logLevel: 'silent' });
  return createContext(settings, TypedKube.fromFile(testBed().kubeconfig), store, createLogger('silent'));
}

/** Serves one function the way its container does, on a free loopback port. */
export async function serveFunction(fn: SluiceFunction, ctx: FunctionContext): Promise<{ url: string; close(): Promise<void> }> {
  const server = routesServer(functionRoutes(fn, ctx));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

export function podEvent(
  name: string,
  resourceVersion: string,
  verb: 'add' | 'update' | 'delete' = 'update',
  uid = `uid-${name}`,
): CloudEvent<unknown> {
  return apiServerEvent({
    verb,
    mode: 'resource',
    source: 'https://127.0.0.1:6443',
    resource: 'pods',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'team', uid, resourceVersion, labels: { system: 'ververica-platform' } },
    },
  });
}

/**
 * POSTs a CloudEvent as ApiServerSource's Broker would, in binary or structured mode. The
 * outcome is the `Sluice-Outcome` header's, the reason that of `Sluice-Reason` or of a failure's
 * JSON body; `body` is the raw body, which Knative's filter needs empty on a 2xx reply.
 */
export async function post(url: string, ce: CloudEvent<unknown>, mode: 'binary' | 'structured' = 'binary') {
  const message = mode === 'binary' ? HTTP.binary(ce) : HTTP.structured(ce);
  const res = await fetch(url, { method: 'POST', headers: message.headers as Record<string, string>, body: message.body as string });
  const body = await res.text();
  const reason = body ? (JSON.parse(body) as { reason?: string }).reason : (res.headers.get('sluice-reason') ?? undefined);
  return { status: res.status, outcome: res.headers.get('sluice-outcome') ?? '', reason, body };
}
