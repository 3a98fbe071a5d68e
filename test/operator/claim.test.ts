import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsSchema } from '../../shared/config.js';
import { TypedKube } from '../../shared/kube/typed.js';
import { createLogger } from '../../shared/log.js';
import { LEADER_CONFIGMAP, NamespaceClaimedError, claimWatchedNamespaces, holderOf } from '../../shared/operator/claim.js';
import type { FunctionContext } from '../../shared/runtime/define.js';
import { createContext } from '../../shared/runtime/define.js';
import { MemoryStore } from '../../shared/runtime/store.js';
import { createTestNamespace, deleteTestNamespace, testBed } from '../bed/env.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { applyCr, createTarget, crFor, crsIn, settle, synced } from './support.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** `npm start` (bin/sluice.ts) against the bed's cluster; resolves with its exit code and output once it exits or says it is ready. */
function startProcess(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string; ready: boolean }> {
  const bed = testBed();
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['bin/sluice.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        KUBECONFIG: bed.kubeconfig,
        REDIS_URL: bed.redisUrl,
        PORT: '0',
        LOG_LEVEL: 'silent',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let ready = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (b) => {
      stdout += String(b);
      if (!ready && stdout.includes('Sluice ready at')) {
        ready = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (b) => (stderr += String(b)));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ready });
    });
  });
}

describe('operator identity: claiming watched namespaces', () => {
  let ns = '';
  let fresh = '';
  const platformNamespaces: string[] = [];
  const home = mkdtempSync(join(tmpdir(), 'ops-claim-home-'));
  let kube: TypedKube;

  const context = (identity: string, watched: string[]): FunctionContext => {
    const settings = settingsSchema.parse({ logLevel: 'silent' });
    Object.assign(settings, { operatorIdentity: identity, watchedNamespaces: watched });
    return createContext(settings, kube, new MemoryStore(), createLogger('silent'));
  };

  beforeAll(async () => {
    kube = TypedKube.fromFile(testBed().kubeconfig);
    ns = await createTestNamespace('ops-claim');
    fresh = await createTestNamespace('ops-claim-fresh');
  });
  afterAll(async () => {
    await deleteTestNamespace(ns);
    await deleteTestNamespace(fresh);
    for (const p of platformNamespaces) await kube.core.deleteNamespace({ name: p }).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  });

  it('claims a namespace with the ConfigMap ververica-operator-leader-election, for good', async () => {
    const result = await claimWatchedNamespaces(context('vvp-1', [ns, 'ops-claim-does-not-exist']));
    expect(result).toEqual({ claimed: [ns], missing: ['ops-claim-does-not-exist'] });
    const cm = await kube.core.readNamespacedConfigMap({ namespace: ns, name: LEADER_CONFIGMAP });
    expect(holderOf(cm)).toBe('vvp-1');
    expect(cm.data).toEqual({ identity: 'vvp-1' });
    // The same identity again (a restart): still its own.
    await expect(claimWatchedNamespaces(context('vvp-1', [ns]))).resolves.toEqual({ claimed: [ns], missing: [] });
  });

  it('refuses another identity, naming the one that holds the namespace', async () => {
    const err = await claimWatchedNamespaces(context('vvp-2', [ns])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NamespaceClaimedError);
    expect((err as Error).message).toContain(`watched namespace ${ns} is claimed by operator identity "vvp-1"`);
    expect(holderOf(await kube.core.readNamespacedConfigMap({ namespace: ns, name: LEADER_CONFIGMAP }))).toBe('vvp-1');
  });

  it("npm start refuses to start with another identity, and starts with the holder's", async () => {
    const common = { SLUICE_WATCHED_NAMESPACES: ns, SLUICE_HOME: home, SLUICE_AUTH: 'off' };
    platformNamespaces.push('ops-claim-p1', 'ops-claim-p2');
    const refused = await startProcess({ ...common, SLUICE_OPERATOR_IDENTITY: 'vvp-2', SLUICE_PLATFORM_NAMESPACE: 'ops-claim-p1' });
    expect(refused.ready).toBe(false);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`watched namespace ${ns} is claimed by operator identity "vvp-1"`);

    const started = await startProcess({ ...common, SLUICE_OPERATOR_IDENTITY: 'vvp-1', SLUICE_PLATFORM_NAMESPACE: 'ops-claim-p2' });
    expect(started.stderr).toBe('');
    expect(started.ready).toBe(true);
  }, 180_000);

  describe('in the function itself', () => {
    let sluice: RunningSluice;
    beforeAll(async () => {
      // startSluice does not claim on start: the function claims before its first reconcile.
      sluice = await startSluice({ watchedNamespaces: [ns, fresh], operatorIdentity: 'vvp-2', auth: false });
      await createTarget(sluice, 'default', 'test-target', fresh);
    });
    afterAll(() => sluice?.stop());

    it('does not reconcile CRs in a namespace another identity holds', async () => {
      expect((await applyCr(ns, crFor('held', 'default', 'test-target'))).code).toBe(0);
      await settle(sluice);
      expect((await crsIn(sluice, ns).get('held'))!.status).toBeUndefined();
      expect((await sluice.api('/api/v1/namespaces/default/deployments/held')).status).toBe(404);
    });

    it('claims an unclaimed namespace before its first reconcile there', async () => {
      await applyCr(fresh, crFor('claimed-here', 'default', 'test-target'));
      await synced(sluice, fresh, 'claimed-here');
      expect(holderOf(await kube.core.readNamespacedConfigMap({ namespace: fresh, name: LEADER_CONFIGMAP }))).toBe('vvp-2');
    });
  });
});
