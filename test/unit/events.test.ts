import { CloudEvent, HTTP } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { BadInput } from '../../shared/runtime/errors.js';
import { apiServerEvent, decodeHttpEvent } from '../../shared/runtime/events.js';

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'job-1-jobmanager-abcde',
    namespace: 'team-1',
    uid: 'u-1',
    resourceVersion: '42',
    labels: { system: 'ververica-platform' },
  },
  status: { phase: 'Running' },
};

function asHttp(ce: CloudEvent<unknown>, mode: 'binary' | 'structured') {
  const message = mode === 'binary' ? HTTP.binary(ce) : HTTP.structured(ce);
  return {
    headers: Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k.toLowerCase(), String(v)])),
    body: String(message.body),
  };
}

describe('decoding ApiServerSource events', () => {
  const ce = apiServerEvent({ verb: 'update', object: pod, mode: 'resource', source: 'https://10.0.0.1:443', resource: 'pods' });

  it('builds the event ApiServerSource sends: type, subject, extensions', () => {
    expect(ce.type).toBe('dev.knative.apiserver.resource.update');
    // As Knative's receive adapter writes it: `/apis/` also for the core group.
    expect(ce.subject).toBe('/apis/v1/namespaces/team-1/pods/job-1-jobmanager-abcde');
    expect(ce['kind']).toBe('Pod');
    expect(ce['apiversion']).toBe('v1');
    expect(ce['name']).toBe('job-1-jobmanager-abcde');
    expect(ce['namespace']).toBe('team-1');
  });

  it('writes the subject of a custom resource, and of a cluster-scoped object, as the adapter does', () => {
    const cr = { apiVersion: 'sluice.dev/v1alpha1', kind: 'FlinkDeployment', metadata: { name: 'd', namespace: 'sluice-system' } };
    expect(apiServerEvent({ verb: 'add', object: cr, mode: 'reference', source: 's', resource: 'flinkdeployments' }).subject).toBe(
      '/apis/sluice.dev/v1alpha1/namespaces/sluice-system/flinkdeployments/d',
    );
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-1' } };
    expect(apiServerEvent({ verb: 'add', object: ns, mode: 'resource', source: 's', resource: 'namespaces' }).subject).toBe(
      '/apis/v1/namespaces//namespaces/team-1',
    );
  });

  it.each(['binary', 'structured'] as const)('decodes a resource event in %s mode', (mode) => {
    const { headers, body } = asHttp(ce, mode);
    const event = decodeHttpEvent(headers, body);
    expect(event.mode).toBe('resource');
    if (event.mode !== 'resource') return;
    expect(event.verb).toBe('update');
    expect(event.ref).toEqual({ apiVersion: 'v1', kind: 'Pod', name: 'job-1-jobmanager-abcde', namespace: 'team-1' });
    expect(event.object.metadata.resourceVersion).toBe('42');
  });

  it('decodes a binary-mode JSON object itself, to exactly what the SDK would give', async () => {
    // decodeHttpEvent parses such a body itself (the SDK's parser is slow); the outcome, a
    // decoded event or a refusal, must not differ from decoding it all through the SDK.
    const { fromCloudEvent } = await import('../../shared/runtime/events.js');
    const outcome = (decode: () => unknown) => {
      try {
        return { decoded: decode() };
      } catch (err) {
        return { refused: err instanceof Error };
      }
    };
    for (const [contentType, body] of [
      ['application/json', JSON.stringify(pod)],
      ['application/json; charset=utf-8', JSON.stringify(pod)], // the SDK leaves this one a string
      ['application/json', ` ${JSON.stringify(pod)}`], // nor does it take leading blanks
      ['application/json', '{"kind": "Pod"}'],
      ['application/json', '{"kind": '],
    ] as const) {
      const { headers } = asHttp(ce, 'binary');
      const message = { headers: { ...headers, 'content-type': contentType }, body };
      const bySdk = outcome(() => fromCloudEvent(HTTP.toEvent(message) as CloudEvent<unknown>));
      expect(
        outcome(() => decodeHttpEvent(message.headers, body)),
        `${contentType} ${body.slice(0, 12)}`,
      ).toEqual(bySdk);
    }
  });

  it('decodes a reference event', () => {
    const ref = apiServerEvent({ verb: 'delete', object: pod, mode: 'reference', source: 's', resource: 'pods' });
    expect(ref.type).toBe('dev.knative.apiserver.ref.delete');
    const { headers, body } = asHttp(ref, 'binary');
    const event = decodeHttpEvent(headers, body);
    expect(event).toMatchObject({ mode: 'reference', verb: 'delete', ref: { kind: 'Pod', name: pod.metadata.name, namespace: 'team-1' } });
  });

  it('decodes a PingSource ping', () => {
    const ping = new CloudEvent({
      type: 'dev.knative.sources.ping',
      source: '/apis/v1/namespaces/x/pingsources/resync',
      data: { reason: 'resync' },
    });
    const { headers, body } = asHttp(ping, 'structured');
    expect(decodeHttpEvent(headers, body)).toMatchObject({ mode: 'ping', data: { reason: 'resync' } });
  });

  it('marks other event types foreign instead of failing', () => {
    const other = new CloudEvent({ type: 'com.example.thing', source: 'x', data: {} });
    const { headers, body } = asHttp(other, 'binary');
    expect(decodeHttpEvent(headers, body)).toMatchObject({ mode: 'foreign', type: 'com.example.thing' });
  });

  it.each([
    ['no CloudEvent headers at all', { 'content-type': 'application/json' }, '{}', /not a valid CloudEvent/],
    [
      'a missing required attribute',
      { 'content-type': 'application/cloudevents+json' },
      JSON.stringify({ specversion: '1.0', type: 'dev.knative.apiserver.resource.add' }),
      /not a valid CloudEvent/,
    ],
    ['invalid JSON in structured mode', { 'content-type': 'application/cloudevents+json' }, '{"specversion":', /not a valid CloudEvent/],
    [
      'a resource event whose data is not an object',
      {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': '1',
        'ce-source': 's',
        'ce-type': 'dev.knative.apiserver.resource.add',
      },
      JSON.stringify({ kind: 'Pod' }),
      /event data \(a Kubernetes object\)\.(apiVersion|metadata)/,
    ],
    [
      'a reference without a name',
      {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': '1',
        'ce-source': 's',
        'ce-type': 'dev.knative.apiserver.ref.add',
      },
      JSON.stringify({ kind: 'Pod', apiVersion: 'v1' }),
      /event data \(an object reference\)\.name/,
    ],
  ])('refuses %s with a message', (_what, headers, body, message) => {
    expect(() => decodeHttpEvent(headers as Record<string, string>, body)).toThrowError(BadInput);
    expect(() => decodeHttpEvent(headers as Record<string, string>, body)).toThrowError(message);
  });
});
