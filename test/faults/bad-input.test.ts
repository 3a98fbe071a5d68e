/**
 * Bad input, against a function's CloudEvent endpoint (as its container serves it, and as
 * single-process mode mounts it) and against the REST API: a corpus of malformed CloudEvents
 * and requests (test/faults/corpus/*.json), plus generated ones (oversized and chunked
 * bodies, huge headers, deep nesting, hostile JSON patch paths, prototype keys). Every one
 * is answered 4xx with a reason, none 5xx; the process keeps serving, its objects' prototypes
 * are untouched, and no hostile patch set ever moves a Deployment anywhere.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventFunctions } from '../../functions/index.js';
import { FLINK_DEPLOYMENTS } from '../../shared/kube/resources.js';
import { apiServerEvent } from '../../shared/runtime/events.js';
import { MAX_EVENT_BYTES } from '../../shared/runtime/routes.js';
import { post, serveFunction } from '../runtime/harness.js';
import { rawRequest } from '../support/http.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { apiOk, deploymentBody } from './support.js';

const VNS = 'fault-input';

interface EventCase {
  name: string;
  headers: Record<string, string>;
  body?: string;
  bodyBase64?: string;
}
interface RestCase {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | null;
  noToken?: boolean;
}

const corpus = <T>(file: string) => JSON.parse(readFileSync(new URL(`./corpus/${file}`, import.meta.url), 'utf8')) as T[];
const eventCases = corpus<EventCase>('cloudevents.json');
const restCases = corpus<RestCase>('rest.json');

const pollutionFree = () => {
  const probe = {} as Record<string, unknown>;
  return probe.polluted === undefined && probe.isAdmin === undefined && Object.keys(Object.prototype).length === 0;
};

describe('bad input', () => {
  let sluice: RunningSluice;
  let standalone: { url: string; close(): Promise<void> };
  let endpoints: string[];

  beforeAll(async () => {
    sluice = await startSluice({ events: false });
    standalone = await serveFunction(await eventFunctions.applyPatchSet!(), sluice.ctx);
    endpoints = [standalone.url, `${sluice.url}/functions/deploymentStep`, `${sluice.url}/functions/onJobPodStatus`];
    await apiOk(sluice, '/namespaces/v1/namespaces', { method: 'POST', body: JSON.stringify({ name: `namespaces/${VNS}` }) });
    await apiOk(sluice, `/api/v1/namespaces/${VNS}/deployment-targets`, {
      method: 'POST',
      body: JSON.stringify({ metadata: { name: `${VNS}-target` }, spec: { kubernetes: { namespace: `${VNS}-jobs` } } }),
    });
    const target = await apiOk<{ metadata: { id: string } }>(sluice, `/api/v1/namespaces/${VNS}/deployment-targets/${VNS}-target`);
    await apiOk(sluice, `/api/v1/namespaces/${VNS}/deployments`, {
      method: 'POST',
      body: JSON.stringify(deploymentBody(VNS, 'existing', target.metadata.id, 'CANCELLED')),
    });
  }, 120_000);

  afterAll(async () => {
    await standalone?.close();
    await sluice?.stop();
  });

  const expect4xx = (res: { status: number; body: string }, what: string) => {
    expect(res.status, `${what}: ${res.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
    expect(res.status, `${what}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
    // A reason, never a stack trace.
    expect(res.body, what).not.toMatch(/at .*\.(ts|js|mjs):\d+/);
  };

  describe('CloudEvents at a function endpoint', () => {
    it.each(eventCases.map((c) => [c.name, c] as const))('%s: 4xx', async (_name, c) => {
      const body = c.bodyBase64 !== undefined ? Buffer.from(c.bodyBase64, 'base64') : (c.body ?? '');
      for (const url of endpoints) {
        const res = await rawRequest(url, { headers: c.headers, body });
        expect4xx(res, `${c.name} at ${url}`);
        if (res.status === 400) expect(JSON.parse(res.body)).toMatchObject({ outcome: 'bad_input', reason: expect.any(String) });
      }
    });

    const binary = {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': 'gen-1',
      'ce-source': '/gen',
      'ce-type': 'dev.knative.apiserver.resource.update',
    };

    it('an oversized body: 413, with or without a content-length', async () => {
      const big = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"pad":"${'x'.repeat(MAX_EVENT_BYTES)}"}`;
      for (const url of endpoints) {
        expect((await rawRequest(url, { headers: binary, body: big })).status).toBe(413);
        const chunked = await rawRequest(url, { headers: { ...binary, 'transfer-encoding': 'chunked' }, body: big, chunked: true }).catch(
          (err: unknown) => ({ status: -1, body: String(err) }),
        );
        // The server answers 413 and stops reading; the client may see the answer or a reset.
        expect([413, -1], chunked.body).toContain(chunked.status);
      }
    });

    it('headers beyond 16 KiB: 431 from the HTTP server', async () => {
      for (const url of endpoints) {
        const res = await rawRequest(url, { headers: { ...binary, 'ce-padding': 'p'.repeat(20_000) }, body: '{}' }).catch(() => ({
          status: 431,
          body: 'connection closed',
        }));
        expect4xx(res, 'huge header');
      }
    });

    it('deeply nested data: never 5xx', async () => {
      const deep = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},"spec":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`;
      const broken = '['.repeat(200_000);
      for (const url of endpoints) {
        for (const body of [deep, broken]) {
          const res = await rawRequest(url, { headers: binary, body });
          expect(res.status, res.body.slice(0, 200)).toBeLessThan(500);
        }
      }
    });

    it('prototype keys in event data pollute nothing', async () => {
      const hostile = `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"isAdmin":true}},"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n","__proto__":{"polluted":"yes"},"labels":{"__proto__":"x"}}}`;
      for (const url of endpoints) {
        const res = await rawRequest(url, { headers: binary, body: hostile });
        expect(res.status, res.body).toBeLessThan(500);
      }
      expect(pollutionFree()).toBe(true);
    });
  });

  describe('the REST API', () => {
    it.each(restCases.map((c) => [c.name, c] as const))('%s: 4xx', async (_name, c) => {
      const sub = (s: string) => s.replaceAll('{vns}', VNS);
      const headers: Record<string, string> = { ...c.headers };
      if (!c.noToken) headers.authorization = `Bearer ${sluice.token}`;
      const res = await rawRequest(`${sluice.url}${sub(c.path)}`, {
        method: c.method,
        headers,
        ...(c.body !== null ? { body: sub(c.body) } : {}),
      });
      expect4xx(res, c.name);
    });

    it('an oversized body: 413', async () => {
      const res = await rawRequest(`${sluice.url}/api/v1/namespaces/${VNS}/deployments`, {
        headers: { authorization: `Bearer ${sluice.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name: 'big', annotations: { pad: 'x'.repeat(2 * 1024 * 1024) } } }),
      }).catch((err: unknown) => ({ status: -1, body: String(err) }));
      expect([413, -1], res.body).toContain(res.status);
    });

    it('deeply nested JSON: 4xx', async () => {
      const res = await rawRequest(`${sluice.url}/api/v1/namespaces/${VNS}/deployments`, {
        headers: { authorization: `Bearer ${sluice.token}`, 'content-type': 'application/json' },
        body: `{"metadata":{"name":"deep","labels":${'{"a":'.repeat(20_000)}"x"${'}'.repeat(20_000)}}}`,
      });
      expect4xx(res, 'deep nesting');
    });

    // Where the schema keeps any shape (pod templates), a merge or a clone would recurse over it.
    it.each(['POST', 'PATCH'])('a %s nested 5,000 deep inside a pod template: 400, naming the limit', async (method) => {
      const deep = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
      const body = `{"metadata":{"name":"deep-template"},"spec":{"template":{"spec":{"kubernetes":{"jobManagerPodTemplate":${deep}}}}}}`;
      const path = `/api/v1/namespaces/${VNS}/deployments${method === 'PATCH' ? '/deep-template' : ''}`;
      const res = await rawRequest(`${sluice.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${sluice.token}`, 'content-type': 'application/json' },
        body,
      });
      expect(res.status, res.body).toBe(400);
      expect(res.body).toMatch(/nested more than 64 levels deep/);
    });

    it('prototype keys in bodies and merge patches pollute nothing and change nothing they should not', async () => {
      const token = { authorization: `Bearer ${sluice.token}`, 'content-type': 'application/json' };
      const bodies = [
        `{"__proto__":{"polluted":"yes"},"metadata":{"name":"proto"},"spec":{"__proto__":{"isAdmin":true}}}`,
        `{"constructor":{"prototype":{"polluted":"yes"}},"metadata":{"name":"proto2"}}`,
      ];
      for (const body of bodies) {
        const res = await rawRequest(`${sluice.url}/api/v1/namespaces/${VNS}/deployments`, { headers: token, body });
        expect(res.status, res.body).toBeLessThan(500);
      }
      const before = await apiOk<{ metadata: { namespace: string } }>(sluice, `/api/v1/namespaces/${VNS}/deployments/existing`);
      const patch = await rawRequest(`${sluice.url}/api/v1/namespaces/${VNS}/deployments/existing`, {
        method: 'PATCH',
        headers: token,
        body: `{"__proto__":{"polluted":"yes"},"metadata":{"__proto__":{"namespace":"someone-else"},"constructor":{"prototype":{"isAdmin":true}}}}`,
      });
      expect(patch.status, patch.body).toBeLessThan(500);
      const after = await apiOk<{ metadata: { namespace: string } }>(sluice, `/api/v1/namespaces/${VNS}/deployments/existing`);
      expect(after.metadata.namespace).toBe(before.metadata.namespace);
      expect(pollutionFree()).toBe(true);
    });

    it('hostile JSON patch paths in a target: refused when the target is made, or when a deployment uses it; never applied', async () => {
      const target = await apiOk<{ metadata: { id: string } }>(sluice, `/api/v1/namespaces/${VNS}/deployment-targets/${VNS}-target`);
      const hostile: unknown[][] = [
        [{ op: 'add', path: '/__proto__/polluted', value: 'yes' }],
        [{ op: 'add', path: '/spec/__proto__/polluted', value: 'yes' }],
        [{ op: 'add', path: '/spec/template/constructor/prototype/polluted', value: 'yes' }],
        [{ op: 'replace', path: '/metadata/namespace', value: 'someone-else' }],
        [{ op: 'replace', path: '/metadata/id', value: '00000000-0000-0000-0000-000000000000' }],
        [{ op: 'replace', path: '/metadata/name', value: 'renamed' }],
        [{ op: 'replace', path: '/spec/deploymentTargetName', value: 'their-target' }],
        [{ op: 'replace', path: '/spec/deploymentTargetId', value: '00000000-0000-0000-0000-000000000000' }],
        [{ op: 'add', path: '/spec/sessionClusterName', value: 'theirs' }],
        [{ op: 'remove', path: '/spec/deploymentTargetId' }],
        [{ op: 'move', from: '/spec/deploymentTargetId', path: '/spec/template/spec/x' }],
        [{ op: 'copy', from: '/metadata/namespace', path: '/metadata/labels/ns' }],
        [{ op: 'add', path: '/status', value: { state: 'RUNNING' } }],
        [{ op: 'add', path: '/kind', value: 'Secret' }],
        [{ op: 'add', path: '/spec/template/~2', value: 1 }],
        [{ op: 'add', path: '/spec/template/spec/flinkConfiguration/~1..~1..~1etc', value: 'x' }],
      ];
      const token = { authorization: `Bearer ${sluice.token}`, 'content-type': 'application/json' };
      for (const [i, ops] of hostile.entries()) {
        const what = JSON.stringify(ops);
        const t = await rawRequest(`${sluice.url}/api/v1/namespaces/${VNS}/deployment-targets`, {
          headers: token,
          body: JSON.stringify({
            metadata: { name: `hostile-${i}` },
            spec: { kubernetes: { namespace: `${VNS}-jobs` }, deploymentPatchSet: ops },
          }),
        });
        expect(t.status, `${what}: ${t.body}`).toBeLessThan(500);
        if (t.status >= 400) continue;
        const d = await rawRequest(`${sluice.url}/api/v1/namespaces/${VNS}/deployments`, {
          headers: token,
          body: JSON.stringify({
            ...deploymentBody(VNS, `on-hostile-${i}`, (JSON.parse(t.body) as { metadata: { id: string } }).metadata.id),
            metadata: { name: `on-hostile-${i}` },
          }),
        });
        // Patch paths that only touch /spec are allowed (and harmless); the rest are refused.
        const harmless = (ops as { op: string; path: string }[]).every((o) => /^\/spec\/template\/spec\/flinkConfiguration\//.test(o.path));
        if (harmless) {
          expect(d.status, `${what}: ${d.body}`).toBeLessThan(500);
          continue;
        }
        expect4xx(d, `a deployment on a target with ${what}`);
        expect(d.status).toBe(422);
      }
      // Nothing escaped: no deployment of this vNamespace is anywhere but here, on its own target.
      for (const d of await sluice.platform.deployments.list()) {
        expect(d.spec.metadata.namespace).toBe(VNS);
        expect(d.metadata.labels?.['sluice.dev/vnamespace']).toBe(VNS);
      }
      expect(target.metadata.id).toBeDefined();
      expect(pollutionFree()).toBe(true);
    });
  });

  it('a target whose patch op replaces the whole document (path ""): 4xx, not 500', async () => {
    const res = await rawRequest(`${sluice.url}/api/v1/namespaces/${VNS}/deployment-targets`, {
      headers: { authorization: `Bearer ${sluice.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        metadata: { name: 'whole-document' },
        spec: { deploymentPatchSet: [{ op: 'replace', path: '', value: { metadata: { namespace: 'someone-else' } } }] },
      }),
    });
    expect4xx(res, 'patch path ""');
  });

  it('a target whose patch set tests /__proto__: a deployment on it is refused 4xx, not 500', async () => {
    const token = { authorization: `Bearer ${sluice.token}`, 'content-type': 'application/json' };
    const t = await rawRequest(`${sluice.url}/api/v1/namespaces/${VNS}/deployment-targets`, {
      headers: token,
      body: JSON.stringify({
        metadata: { name: 'tests-proto' },
        spec: { kubernetes: { namespace: `${VNS}-jobs` }, deploymentPatchSet: [{ op: 'test', path: '/__proto__', value: {} }] },
      }),
    });
    expect(t.status, t.body).toBe(201);
    const d = await rawRequest(`${sluice.url}/api/v1/namespaces/${VNS}/deployments`, {
      headers: token,
      body: JSON.stringify(deploymentBody(VNS, 'on-tests-proto', (JSON.parse(t.body) as { metadata: { id: string } }).metadata.id)),
    });
    expect4xx(d, 'a deployment on a target whose patch set tests /__proto__');
  });

  it('after all of it, both still serve: a well-formed event is handled, /healthz answers', async () => {
    expect((await fetch(`${standalone.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${sluice.url}/healthz`)).status).toBe(200);
    const existing = (await sluice.platform.findDeployment(VNS, 'existing'))!;
    const event = apiServerEvent({
      verb: 'update',
      mode: 'resource',
      object: existing as never,
      source: '/ok',
      resource: FLINK_DEPLOYMENTS.plural,
    });
    for (const url of endpoints) expect((await post(url, event)).status).toBe(200);
    expect(pollutionFree()).toBe(true);
  });
});
