/**
 * `npm run build` (scripts/build.ts): the esbuild bundle the container image runs. Built
 * into a temporary directory, then started with node against the test bed exactly as the
 * image starts it: `node dist/function.cjs` (SLUICE_FUNCTION) and `node dist/event-relay.cjs`.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudEvent, HTTP } from 'cloudevents';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, eventFunctions } from '../../functions/index.js';
import { TypedKube } from '../../shared/kube/typed.js';
import { freePort } from '../../shared/local/ports.js';
import { ensureCrds } from '../../shared/model/install.js';
import { decodeHttpEvent } from '../../shared/runtime/events.js';
import { build, writeCodeCache } from '../../scripts/build.js';
import { createTestNamespace, deleteTestNamespace, eventually, testBed } from '../bed/env.js';
import { spawnUntilHealthy, stop } from './support.js';

const OPTIONAL = ['pino-pretty', 'bufferutil', 'utf-8-validate', 'supports-color', 'encoding'];

let outdir: string;
let metafile: Metafile;
let platformNamespace: string;
const outputKey = (file: string) => Object.keys(metafile.outputs).find((k) => k.endsWith(`/${file}`))!;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'sluice-dist-'));
  ({ metafile } = await build({ outdir }));
  platformNamespace = `sluice-bundle-${randomBytes(3).toString('hex')}`;
  // The functions and the relay list Sluice's resources: their CRDs must exist.
  await ensureCrds(TypedKube.fromFile(testBed().kubeconfig));
}, 120_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  KUBECONFIG: testBed().kubeconfig,
  REDIS_URL: testBed().redisUrl,
  SLUICE_PLATFORM_NAMESPACE: platformNamespace,
  LOG_LEVEL: 'warn',
  ...extra,
});

describe('the bundle', () => {
  it('is one entry per container kind, CommonJS, with every dependency inside', () => {
    expect(outputKey('function.cjs')).toBeDefined();
    expect(outputKey('lib/function.cjs')).toBeDefined();
    expect(outputKey('event-relay.cjs')).toBeDefined();
    for (const [path, output] of Object.entries(metafile.outputs)) {
      for (const imp of output.imports.filter((i) => i.external)) {
        // Only Node's own modules, pino's pretty-printer that Sluice never configures, and the
        // optional add-ons that ws, debug and node-fetch probe for inside try/catch.
        const builtin = imp.path.startsWith('node:') || builtinModules.includes(imp.path.split('/')[0]!);
        expect(builtin || OPTIONAL.includes(imp.path), `${path} imports ${imp.path}`).toBe(true);
      }
    }
    expect(Object.keys(metafile.inputs).some((i) => i.includes('node_modules/@kubernetes/client-node/'))).toBe(true);
    // node-fetch's whatwg-url fallback (and its Unicode table) is left out: Node's URL stands in.
    expect(Object.keys(metafile.inputs).filter((i) => /node_modules\/(whatwg-url|tr46)\//.test(i))).toEqual([]);
  });

  it('comes with a V8 code cache for each function that node accepts, written for the flags node runs with', () => {
    // NODE_DEBUG=sluice: bin/start.ts says whether V8 took the cache; SLUICE_LOAD_ONLY loads the function's code and exits.
    const cacheUse = (fn: string, nodeArgs: string[] = []) => {
      const r = spawnSync(process.execPath, [...nodeArgs, join(outdir, 'function.cjs')], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, NODE_DEBUG: 'sluice', SLUICE_FUNCTION: fn, SLUICE_LOAD_ONLY: '1' },
      });
      expect(r.status, r.stderr).toBe(0);
      return /code cache \S+: (\w+)/.exec(r.stderr)?.[1];
    };
    for (const fn of FUNCTION_NAMES) expect(cacheUse(fn), fn).toBe('accepted');
    // Other V8 flags: V8 would refuse the cache, so none is found until one is written for them.
    const flags = ['--max-semi-space-size=2'];
    expect(cacheUse('applyPatchSet', flags)).toBe('none');
    writeCodeCache(outdir, flags);
    for (const fn of FUNCTION_NAMES) expect(cacheUse(fn, flags), fn).toBe('accepted');
  }, 120_000);

  it('exits 2 listing the function names when SLUICE_FUNCTION is unknown or missing', () => {
    for (const fn of ['noSuchFunction', '']) {
      const r = spawnSync(process.execPath, [join(outdir, 'function.cjs')], {
        env: env({ SLUICE_FUNCTION: fn }),
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`SLUICE_FUNCTION must name one of: ${FUNCTION_NAMES.join(', ')}`);
    }
  });

  it('serves applyPatchSet against the test cluster: /healthz, /readyz, CloudEvents at /', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const { child, output } = await spawnUntilHealthy(process.execPath, [join(outdir, 'function.cjs')], {
      env: env({ SLUICE_FUNCTION: 'applyPatchSet', PORT: String(port) }),
      url: `${base}/healthz`,
    });
    try {
      expect((await fetch(`${base}/readyz`)).status, output()).toBe(200);
      // Malformed: 400, never retried.
      const bad = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(bad.status).toBe(400);
      // A ping resyncs the function: no Deployments in this platform namespace, nothing to do.
      const ping = HTTP.binary(new CloudEvent({ type: 'dev.knative.sources.ping', source: '/test', data: {} }));
      const res = await fetch(base, { method: 'POST', headers: ping.headers as Record<string, string>, body: ping.body as string });
      expect(res.status, output()).toBe(200);
      expect({ outcome: res.headers.get('sluice-outcome'), reason: res.headers.get('sluice-reason'), body: await res.text() }).toEqual({
        outcome: 'handled',
        reason: 'resync: 0 objects',
        body: '',
      });
    } finally {
      await stop(child);
    }
  }, 60_000);

  it("serves events without loading Node's fetch (undici): ~19 ms of a cold start", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const report = join(outdir, 'modules.json');
    const probe = join(outdir, 'probe.cjs');
    writeFileSync(
      probe,
      `process.on('SIGUSR2', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify(process.moduleLoadList)));`,
    );
    const { child, output } = await spawnUntilHealthy(process.execPath, ['--require', probe, join(outdir, 'function.cjs')], {
      env: env({ SLUICE_FUNCTION: 'applyPatchSet', PORT: String(port) }),
      url: `${base}/healthz`,
    });
    try {
      const ping = HTTP.binary(new CloudEvent({ type: 'dev.knative.sources.ping', source: '/test', data: {} }));
      expect(
        (await fetch(base, { method: 'POST', headers: ping.headers as Record<string, string>, body: ping.body as string })).status,
        output(),
      ).toBe(200);
      child.kill('SIGUSR2');
      const modules = await eventually(async () => existsSync(report) && (JSON.parse(readFileSync(report, 'utf8')) as string[]), 10_000);
      expect(modules).toContain('NativeModule http');
      expect(modules.filter((m) => m.includes('undici'))).toEqual([]);
    } finally {
      await stop(child);
    }
  }, 60_000);

  it('serves the api with its web console', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const { child, output } = await spawnUntilHealthy(process.execPath, [join(outdir, 'function.cjs')], {
      env: env({ SLUICE_FUNCTION: 'api', PORT: String(port) }),
      url: `${base}/healthz`,
    });
    try {
      expect((await fetch(`${base}/api/v1/status`)).status, output()).toBe(200);
      const page = await fetch(`${base}/`);
      expect(page.status, output()).toBe(200);
      expect(await page.text()).toMatch(/<html/i);
      expect((await fetch(`${base}/api/v1/namespaces/default/deployments`)).status).toBe(401);
    } finally {
      await stop(child);
    }
  }, 60_000);
});

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A stand-in for the OpenFaaS gateway: records every call; the first call to each function answers 503. */
async function fakeGateway(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      const first = !seen.has(req.url ?? '');
      seen.add(req.url ?? '');
      if (first) res.writeHead(503, { 'content-type': 'text/plain' }).end('scaling from zero');
      else res.writeHead(200, { 'sluice-outcome': 'handled' }).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${port}`, received, server };
}

describe('the bundled event relay (OpenFaaS)', () => {
  it('pings every function at start, retries a 5xx, and relays pod events as binary CloudEvents', async () => {
    const gateway = await fakeGateway();
    const port = await freePort();
    const ns = await createTestNamespace('sluice-relay');
    const { child, output } = await spawnUntilHealthy(process.execPath, [join(outdir, 'event-relay.cjs')], {
      env: env({ GATEWAY_URL: gateway.url, PORT: String(port), SLUICE_RESYNC_SECONDS: '0' }),
      url: `http://127.0.0.1:${port}/readyz`,
    });
    try {
      const fns = Object.keys(eventFunctions);
      // Every function pinged, the first attempt refused (503) and retried with the same event id.
      // (Only pings count: pods of other test files running meanwhile reach onJobPodStatus too.)
      const pings = (fn: string) =>
        gateway.received.filter((r) => r.path === `/function/${pathName(fn)}` && r.headers['ce-type'] === 'dev.knative.sources.ping');
      await eventually(async () => fns.every((fn) => pings(fn).length >= 2), 20_000, 'two ping deliveries per function');
      for (const fn of fns) {
        const calls = pings(fn);
        expect(calls[1]!.headers['ce-id'], fn).toBe(calls[0]!.headers['ce-id']);
      }
      expect(gateway.received.some((r) => r.path === '/function/sluice-api')).toBe(false);

      // A Flink job pod appears: onJobPodStatus hears of it, as ApiServerSource would have told it.
      const kube = TypedKube.fromFile(testBed().kubeconfig);
      const name = 'job-1-taskmanager-0';
      await kube.core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name, labels: { app: 'flink-job', system: 'ververica-platform', jobId: '1' } },
          spec: { containers: [{ name: 'tm', image: 'flink' }] },
        },
      });
      const delivery = await eventually(
        // Ours: Flink pods of other test files running meanwhile are relayed too.
        async () =>
          gateway.received.find(
            (r) =>
              r.path === '/function/sluice-on-job-pod-status' &&
              r.headers['ce-type'] === 'dev.knative.apiserver.resource.add' &&
              r.headers['ce-name'] === name,
          ),
        20_000,
        'the pod add event at the gateway',
      );
      expect(delivery.headers).toMatchObject({
        'ce-kind': 'Pod',
        'ce-apiversion': 'v1',
        'ce-name': name,
        'ce-namespace': ns,
        'ce-subject': `/apis/v1/namespaces/${ns}/pods/${name}`,
      });
      const event = decodeHttpEvent(delivery.headers as Record<string, string>, delivery.body);
      expect(event).toMatchObject({ mode: 'resource', verb: 'add', ref: { kind: 'Pod', namespace: ns, name } });
      // Only the function that subscribes to pods hears of them.
      expect(
        gateway.received.filter((r) => r.headers['ce-kind'] === 'Pod').every((r) => r.path === '/function/sluice-on-job-pod-status'),
      ).toBe(true);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nrelay output:\n${output()}`, { cause: err });
    } finally {
      await stop(child);
      gateway.server.close();
      await deleteTestNamespace(ns);
    }
  }, 90_000);
});

const pathName = (fn: string) => `sluice-${fn.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
