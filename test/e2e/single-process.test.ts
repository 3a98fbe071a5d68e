import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TypedKube } from '../../shared/kube/typed.js';
import { freePort } from '../../shared/local/ports.js';
import { eventually, testBed } from '../bed/env.js';

const root = new URL('../../', import.meta.url).pathname;

/** `npm start`'s entry point as a user runs it, against the test bed's cluster. */
function start(env: Record<string, string>): { child: ChildProcess; output: () => string; ready: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/sluice.ts'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = out.match(/^Sluice ready at (http:\/\/127\.0\.0\.1:\d+\/)$/m);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ready:\n${out}`)));
  });
  return { child, output: () => out, ready };
}

describe('single-process mode (npm start)', () => {
  const platformNamespace = `sluice-start-${process.pid}`;
  const home = mkdtempSync(join(tmpdir(), 'sluice-home-'));
  afterAll(async () => {
    await TypedKube.fromFile(testBed().kubeconfig)
      .core.deleteNamespace({ name: platformNamespace })
      .catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  });

  it('prints the ready line and the generated bootstrap token once, serves the API, and stops cleanly on Ctrl-C', async () => {
    const port = await freePort();
    const env = {
      KUBECONFIG: testBed().kubeconfig,
      PORT: String(port),
      SLUICE_HOME: home,
      SLUICE_PLATFORM_NAMESPACE: platformNamespace,
      REDIS_URL: '',
    };
    const first = start(env);
    const url = await first.ready;
    expect(url).toBe(`http://127.0.0.1:${port}/`);
    const token = first.output().match(/Bootstrap admin token \(shown once[^)]*\): (\S+)/)?.[1];
    expect(token).toMatch(/^sluice_/);
    expect((await fetch(`${url}api/v1/status`)).status).toBe(200);
    expect((await fetch(`${url}namespaces/v1/namespaces`)).status).toBe(401);
    const list = await fetch(`${url}namespaces/v1/namespaces`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await list.json()) as { namespaces: { name: string }[] }).namespaces.map((n) => n.name)).toContain('namespaces/default');
    for (const path of ['healthz', 'readyz', 'metrics']) expect((await fetch(`${url}${path}`)).status, path).toBe(200);
    first.child.kill('SIGINT');
    const [code] = (await once(first.child, 'exit')) as [number];
    expect(code).toBe(0);

    // A second start keeps the installation's token: nothing new is printed, the old one works.
    const second = start(env);
    const url2 = await second.ready;
    expect(second.output()).not.toMatch(/Bootstrap admin token/);
    expect((await fetch(`${url2}namespaces/v1/namespaces`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    second.child.kill('SIGTERM');
    expect(((await once(second.child, 'exit')) as [number])[0]).toBe(0);
  }, 180_000);

  it('refuses an invalid setting with a message naming it', async () => {
    const bad = start({ KUBECONFIG: testBed().kubeconfig, PORT: 'eighty', SLUICE_HOME: home });
    await expect(bad.ready).rejects.toThrow(/Invalid setting: PORT \(--port\)/);
  });

  it('waits for a configured cluster that does not answer, never replacing it with a local one', async () => {
    const port = await freePort();
    const clusterPort = await freePort();
    const bedServer = new URL(testBed().server);
    // The bed's kubeconfig, pointed at a port where nothing listens yet.
    const kubeconfig = join(home, 'unreachable-kubeconfig');
    writeFileSync(kubeconfig, readFileSync(testBed().kubeconfig, 'utf8').replaceAll(bedServer.origin, `https://127.0.0.1:${clusterPort}`));
    const dir = mkdtempSync(join(tmpdir(), 'sluice-home-'));
    const sluice = start({
      KUBECONFIG: kubeconfig,
      PORT: String(port),
      SLUICE_HOME: dir,
      SLUICE_PLATFORM_NAMESPACE: `${platformNamespace}-late`,
      REDIS_URL: '',
    });
    let proxy: Server | undefined;
    try {
      const answer = async (path: string) => (await fetch(`http://127.0.0.1:${port}/${path}`).catch(() => undefined))?.status;
      await eventually(
        async () => sluice.output().includes('the configured cluster does not answer') && (await answer('healthz')) === 200,
        30_000,
        'Sluice up, reporting the cluster',
      );
      expect(await answer('readyz')).toBe(503);
      expect(await answer('api/v1/status')).toBe(503);
      expect(sluice.output()).not.toMatch(/local cluster/);
      expect(existsSync(join(dir, 'cluster'))).toBe(false);

      // The cluster comes back (a TCP proxy to the bed's API server on the configured port): Sluice carries on with it.
      proxy = createServer((client) => {
        const upstream = connect(Number(bedServer.port), bedServer.hostname);
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      await new Promise<void>((resolve) => proxy!.listen(clusterPort, '127.0.0.1', resolve));
      const url = await sluice.ready;
      expect(url).toBe(`http://127.0.0.1:${port}/`);
      expect(await answer('readyz')).toBe(200);
      expect(await answer('api/v1/status')).toBe(200);
      expect(existsSync(join(dir, 'cluster'))).toBe(false);
    } finally {
      sluice.child.kill('SIGTERM');
      await once(sluice.child, 'exit');
      proxy?.close();
      await TypedKube.fromFile(testBed().kubeconfig)
        .core.deleteNamespace({ name: `${platformNamespace}-late` })
        .catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('refuses a KUBECONFIG that does not exist, instead of starting a local cluster', async () => {
    const bad = start({ KUBECONFIG: join(home, 'no-such-kubeconfig'), PORT: String(await freePort()), SLUICE_HOME: home });
    await expect(bad.ready).rejects.toThrow(/KUBECONFIG .*no-such-kubeconfig does not exist/);
  });
});
