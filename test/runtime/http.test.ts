import { CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../shared/runtime/store.js';
import { testBed } from '../bed/env.js';
import { contextWith, podEvent, post, recordingFunction, serveFunction } from './harness.js';

describe('a function over real HTTP, with real Redis', () => {
  const { fn, acted } = recordingFunction();
  const store = new RedisStore(testBed().redisUrl);
  let server: Awaited<ReturnType<typeof serveFunction>>;
  beforeAll(async () => {
    server = await serveFunction(fn, contextWith(store));
  });
  afterAll(async () => {
    await server.close();
    await store.close();
  });

  it.each(['binary', 'structured'] as const)('handles an ApiServerSource event in %s mode', async (mode) => {
    const r = await post(server.url, podEvent(`p-${mode}`, '1'), mode);
    // Knative's broker filter takes a non-empty reply that is not a CloudEvent as a failure.
    expect(r).toMatchObject({ status: 200, outcome: 'handled', body: '' });
    expect(acted).toContain(`p-${mode}@1`);
  });

  it('acts once on the same object version delivered ten times (event ids differ, as ApiServerSource makes them)', async () => {
    const replies = [];
    for (let i = 0; i < 10; i++) replies.push(await post(server.url, podEvent('dup', '7')));
    expect(replies.filter((r) => r.outcome === 'handled')).toHaveLength(1);
    expect(replies.filter((r) => r.outcome === 'skipped' && r.reason?.startsWith('duplicate'))).toHaveLength(9);
    expect(replies.every((r) => r.status === 200 && r.body === '')).toBe(true);
    expect(acted.filter((a) => a === 'dup@7')).toHaveLength(1);
  });

  it('acts on each version of reordered events (steps are level-triggered, not ordered)', async () => {
    await post(server.url, podEvent('re', '9'));
    await post(server.url, podEvent('re', '8'));
    expect(acted.filter((a) => a.startsWith('re@'))).toEqual(['re@9', 're@8']);
  });

  it('runs one step per object at a time even when delivered concurrently', async () => {
    const replies = await Promise.all(Array.from({ length: 8 }, () => post(server.url, podEvent('race', '3'))));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(acted.filter((a) => a === 'race@3')).toHaveLength(1);
  });

  it('answers 2xx "not ours" for events it does not subscribe to', async () => {
    const other = podEvent('other', '1');
    const foreign = new CloudEvent({
      ...other,
      data: { ...(other.data as object), metadata: { name: 'other', namespace: 'x', labels: { system: 'else' } } },
    });
    expect(await post(server.url, foreign)).toMatchObject({
      status: 200,
      outcome: 'skipped',
      reason: expect.stringMatching(/^not ours/),
      body: '',
    });
    const unknown = new CloudEvent({ type: 'com.example.unknown', source: 'x', data: {} });
    expect(await post(server.url, unknown)).toMatchObject({ status: 200, outcome: 'skipped', body: '' });
  });

  it.each([
    ['not a CloudEvent', { 'content-type': 'application/json' }, '{"hello":1}'],
    ['broken JSON', { 'content-type': 'application/cloudevents+json' }, '{"specversion":"1.0",'],
    [
      'a resource event without an object',
      {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': '1',
        'ce-source': 's',
        'ce-type': 'dev.knative.apiserver.resource.update',
      },
      '"just a string"',
    ],
  ])('answers 400 with a message for %s, and acts on nothing', async (_what, headers, body) => {
    const before = acted.length;
    const res = await fetch(server.url, { method: 'POST', headers, body });
    expect(res.status).toBe(400);
    expect(res.headers.get('sluice-outcome')).toBe('bad_input');
    const reply = (await res.json()) as { outcome: string; reason: string };
    expect(reply.outcome).toBe('bad_input');
    expect(reply.reason.length).toBeGreaterThan(10);
    expect(JSON.stringify(reply)).not.toMatch(/at .*\.ts:\d+/);
    expect(acted.length).toBe(before);
  });

  it('answers a PingSource ping, delivered through the Broker like any event, with an empty 2xx', async () => {
    const ping = new CloudEvent({
      type: 'dev.knative.sources.ping',
      source: '/apis/v1/namespaces/sluice-system/pingsources/resync',
      data: {},
    });
    expect(await post(server.url, ping)).toMatchObject({
      status: 200,
      outcome: 'handled',
      reason: expect.stringMatching(/^resync: \d+ objects/),
      body: '',
    });
  });

  it('answers 413 for an oversized body', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': '1',
        'ce-source': 's',
        'ce-type': 'dev.knative.apiserver.resource.update',
      },
      body: 'x'.repeat(4 * 1024 * 1024),
    });
    expect(res.status).toBe(413);
  });

  it('serves /healthz, /readyz and Prometheus /metrics', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/sluice_events_total\{function="recordPods",outcome="handled"\} \d+/);
    expect(metrics).toMatch(/sluice_events_total\{function="recordPods",outcome="skipped"\} \d+/);
  });
});
