import { HTTP } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { functionUrl, postEvent, toCloudEvent } from '../../bin/event-relay.js';
import { type SluiceEvent, decodeHttpEvent } from '../../shared/runtime/events.js';

const plural = (_apiVersion: string, kind: string) => (kind === 'FlinkDeployment' ? 'flinkdeployments' : 'pods');
const roundTrip = (event: SluiceEvent) => {
  const message = HTTP.binary(toCloudEvent(event, plural));
  return { message, decoded: decodeHttpEvent(message.headers as Record<string, string>, message.body as string) };
};

describe("the event relay's CloudEvents", () => {
  it('names each function as its OpenFaaS function', () => {
    expect(functionUrl('http://gateway.openfaas:8080/', 'onJobPodStatus')).toBe(
      'http://gateway.openfaas:8080/function/sluice-on-job-pod-status',
    );
  });

  it('re-encodes a resource event as ApiServerSource sends it, keeping its id', () => {
    const object = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'FlinkDeployment',
      metadata: { name: 'd', namespace: 'sluice-system', uid: 'u', resourceVersion: '7' },
    };
    const event: SluiceEvent = {
      id: 'e-1',
      source: 'https://api',
      mode: 'resource',
      verb: 'update',
      ref: { apiVersion: object.apiVersion, kind: object.kind, name: 'd', namespace: 'sluice-system' },
      object,
    };
    const { message, decoded } = roundTrip(event);
    expect(message.headers).toMatchObject({
      'ce-id': 'e-1',
      'ce-type': 'dev.knative.apiserver.resource.update',
      'ce-source': 'https://api',
      'ce-subject': '/apis/sluice.dev/v1alpha1/namespaces/sluice-system/flinkdeployments/d',
      'ce-kind': 'FlinkDeployment',
      'ce-apiversion': 'sluice.dev/v1alpha1',
      'ce-name': 'd',
      'ce-namespace': 'sluice-system',
    });
    expect(decoded).toEqual(event);
  });

  it('re-encodes a reference event and a ping', () => {
    const ref: SluiceEvent = {
      id: 'e-2',
      source: 'https://api',
      mode: 'reference',
      verb: 'delete',
      ref: { apiVersion: 'v1', kind: 'Pod', name: 'p', namespace: 'team' },
    };
    expect(roundTrip(ref).message.headers).toMatchObject({
      'ce-type': 'dev.knative.apiserver.ref.delete',
      'ce-subject': '/apis/v1/namespaces/team/pods/p',
    });
    expect(roundTrip(ref).decoded).toEqual(ref);
    const ping: SluiceEvent = { id: 'e-3', source: '/sluice/event-relay', mode: 'ping', data: { reason: 'periodic resync' } };
    expect(roundTrip(ping).decoded).toEqual(ping);
  });

  it('turns any HTTP answer into a reply the delivery queue understands', async () => {
    const ce = toCloudEvent({ id: 'e-4', source: '/s', mode: 'ping', data: {} }, plural);
    const answering = (status: number, body: string | null, headers: Record<string, string> = {}) =>
      (async () => new Response(body, { status, headers })) as unknown as typeof fetch;
    // A function's 2xx reply: an empty body, the outcome in headers.
    const duplicate = await postEvent('http://gw/function/x', ce, 'x', {
      fetch: answering(200, null, { 'sluice-outcome': 'skipped', 'sluice-reason': 'duplicate: already handled' }),
    });
    expect(duplicate).toEqual({ status: 200, function: 'x', eventId: 'e-4', outcome: 'skipped', reason: 'duplicate: already handled' });
    // A function's failure: the reason in the body too.
    const unavailable = await postEvent('http://gw/function/x', ce, 'x', {
      fetch: answering(503, JSON.stringify({ function: 'x', eventId: 'e-4', outcome: 'unavailable', reason: 'redis down' }), {
        'sluice-outcome': 'unavailable',
        'sluice-reason': 'redis down',
      }),
    });
    expect(unavailable).toEqual({ status: 503, function: 'x', eventId: 'e-4', outcome: 'unavailable', reason: 'redis down' });
    const gatewayError = await postEvent('http://gw/function/x', ce, 'x', { fetch: answering(502, 'upstream unavailable') });
    expect(gatewayError).toMatchObject({
      status: 502,
      function: 'x',
      eventId: 'e-4',
      outcome: 'error',
      reason: 'HTTP 502: upstream unavailable',
    });
  });
});
