/**
 * The functions' Kubernetes client (REST over node:https, no generated API), against the test
 * bed's kube-apiserver, read through a kubeconfig as a function's container reads it.
 */
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, type V1ConfigMap } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kube, isAlreadyExists, isConflict, isNotFound, isUnavailable } from '../../shared/kube/client.js';
import { CONFIG_MAPS, DEPLOYMENT_TARGETS, NAMESPACES } from '../../shared/kube/resources.js';
import { ensureCrds } from '../../shared/model/install.js';
import { createTestNamespace, deleteTestNamespace, testBed } from '../bed/env.js';

describe('Kube: REST calls to a real API server', () => {
  const kube = Kube.fromFile(testBed().kubeconfig);
  const configMaps = kube.api<V1ConfigMap>(CONFIG_MAPS);
  let ns = '';
  beforeAll(async () => {
    ns = await createTestNamespace('kube-rest');
    await ensureCrds(kube);
  });
  afterAll(async () => {
    await deleteTestNamespace(ns);
  });

  it('creates, reads, lists by label in pages, replaces and deletes, with the API server’s errors', async () => {
    for (const i of [1, 2, 3]) {
      const made = await configMaps.create({
        namespace: ns,
        body: { metadata: { name: `cm-${i}`, labels: { set: 'a' } }, data: { i: String(i) } },
      });
      expect(made.metadata?.uid).toBeTruthy();
    }
    const dup = await configMaps.create({ namespace: ns, body: { metadata: { name: 'cm-1' } } }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(ApiException);
    expect(isAlreadyExists(dup)).toBe(true);

    const first = await configMaps.list({ namespace: ns, labelSelector: 'set=a', limit: 2 });
    expect(first.items.map((c) => c.metadata?.name)).toEqual(['cm-1', 'cm-2']);
    const rest = await configMaps.list({ namespace: ns, labelSelector: 'set=a', limit: 2, continue: first.metadata!.continue });
    expect(rest.items.map((c) => c.metadata?.name)).toEqual(['cm-3']);
    expect(rest.metadata?.continue).toBeFalsy();

    const read = await configMaps.get({ namespace: ns, name: 'cm-2' });
    const replaced = await configMaps.replace({ namespace: ns, name: 'cm-2', body: { ...read, data: { i: 'two' } } });
    expect(replaced.data).toEqual({ i: 'two' });
    // The version read before is stale now: a write naming it is a Conflict.
    expect(isConflict(await configMaps.replace({ namespace: ns, name: 'cm-2', body: read }).catch((e: unknown) => e))).toBe(true);
    const stale = await configMaps
      .delete({ namespace: ns, name: 'cm-2', body: { preconditions: { resourceVersion: read.metadata!.resourceVersion } } })
      .catch((e: unknown) => e);
    expect(isConflict(stale)).toBe(true);
    await configMaps.delete({ namespace: ns, name: 'cm-2' });
    expect(isNotFound(await configMaps.get({ namespace: ns, name: 'cm-2' }).catch((e: unknown) => e))).toBe(true);
  });

  it('creates an object by its kind, and patches it', async () => {
    await kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'by-kind', namespace: ns } } as V1ConfigMap);
    const patched = await configMaps.patch({ namespace: ns, name: 'by-kind', type: 'merge', body: { data: { k: 'v' } } });
    expect(patched.data).toEqual({ k: 'v' });
    await expect(kube.create({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g', namespace: ns } })).rejects.toThrow(
      /no resource type known for example.com\/v1 Gadget/,
    );
    await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'by-kind', namespace: ns } });
  });

  it('reads cluster-scoped objects and a custom resource’s status subresource', async () => {
    expect((await kube.api(NAMESPACES).get({ name: ns })).metadata?.name).toBe(ns);
    const targets = kube.api<{
      apiVersion: string;
      kind: string;
      metadata: { name: string; resourceVersion?: string };
      spec: unknown;
      status?: unknown;
    }>(DEPLOYMENT_TARGETS);
    const made = await targets.create({
      namespace: ns,
      body: {
        apiVersion: DEPLOYMENT_TARGETS.apiVersion,
        kind: DEPLOYMENT_TARGETS.kind,
        metadata: { name: 't' },
        spec: {
          metadata: {
            name: 't',
            namespace: 'default',
            id: '00000000-0000-4000-8000-000000000001',
            createdAt: '2026-12-03T00:00:00Z',
            modifiedAt: '2026-12-03T00:00:00Z',
          },
          spec: { kubernetes: { namespace: 'team' } },
        },
      },
    });
    const withStatus = await targets.replaceStatus({
      namespace: ns,
      name: 't',
      body: { ...made, status: { sluice: { observedGeneration: 1 } } },
    });
    expect(withStatus.status).toEqual({ sluice: { observedGeneration: 1 } });
  });
});

describe('Kube: answers other than 2xx', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kube-rest-'));
  let answers: { status: number; headers?: Record<string, string>; body: string }[] = [];
  const seen: { method?: string; url?: string; auth?: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
      const answer = answers.shift() ?? { status: 500, body: 'no answer left' };
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(answer.body);
    });
  });
  let kube: Kube;
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      stringify({
        clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}` } }],
        users: [{ name: 'u', user: { token: 'tok' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    kube = Kube.fromFile(path);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const status = (code: number, reason: string, message: string) =>
    JSON.stringify({ kind: 'Status', status: 'Failure', code, reason, message });

  it('sends a 429 with Retry-After again after it, body and all, as client-go does', async () => {
    seen.length = 0;
    answers = [
      { status: 429, headers: { 'retry-after': '0.2' }, body: status(429, 'TooManyRequests', 'storage is (re)initializing') },
      { status: 201, body: JSON.stringify({ metadata: { name: 'x' } }) },
    ];
    const made = await kube.api(CONFIG_MAPS).create({ namespace: 'n', body: { metadata: { name: 'x' } } });
    expect(made.metadata?.name).toBe('x');
    expect(seen.map((s) => [s.method, s.url, s.auth, s.body])).toEqual([
      ['POST', '/api/v1/namespaces/n/configmaps', 'Bearer tok', '{"metadata":{"name":"x"}}'],
      ['POST', '/api/v1/namespaces/n/configmaps', 'Bearer tok', '{"metadata":{"name":"x"}}'],
    ]);
  });

  it('gives up after three such answers with a 429 the caller retries later; no Retry-After is not retried', async () => {
    answers = Array.from({ length: 4 }, () => ({
      status: 429,
      headers: { 'retry-after': '0' },
      body: status(429, 'TooManyRequests', 'busy'),
    }));
    seen.length = 0;
    const err = await kube
      .api(CONFIG_MAPS)
      .get({ namespace: 'n', name: 'x' })
      .catch((e: unknown) => e);
    expect(seen).toHaveLength(4);
    expect(isUnavailable(err)).toBe(true);
    answers = [{ status: 429, body: status(429, 'TooManyRequests', 'busy') }];
    seen.length = 0;
    expect(
      isUnavailable(
        await kube
          .api(CONFIG_MAPS)
          .get({ namespace: 'n', name: 'x' })
          .catch((e: unknown) => e),
      ),
    ).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it('tells a missing object from a path the server does not serve', async () => {
    answers = [{ status: 404, body: status(404, 'NotFound', 'configmaps "x" not found') }];
    const missing = await kube
      .api(CONFIG_MAPS)
      .get({ namespace: 'n', name: 'x' })
      .catch((e: unknown) => e);
    expect([isNotFound(missing), isUnavailable(missing)]).toEqual([true, false]);
    answers = [{ status: 404, headers: { 'content-type': 'text/plain' }, body: '404 page not found' }];
    const unserved = await kube
      .api(CONFIG_MAPS)
      .get({ namespace: 'n', name: 'x' })
      .catch((e: unknown) => e);
    expect([isNotFound(unserved), isUnavailable(unserved)]).toEqual([false, true]);
  });

  it('a server that is not there is unavailable', async () => {
    const gone = Kube.fromFile(
      (() => {
        const path = join(dir, 'gone');
        writeFileSync(
          path,
          stringify({
            clusters: [{ name: 'c', cluster: { server: 'http://127.0.0.1:1' } }],
            users: [{ name: 'u', user: {} }],
            contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
            'current-context': 'x',
          }),
        );
        return path;
      })(),
    );
    expect(isUnavailable(await gone.ping().catch((e: unknown) => e))).toBe(true);
  });
});
