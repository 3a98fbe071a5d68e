import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsSchema } from '../../shared/config.js';
import { CrClient } from '../../shared/kube/cr-client.js';
import { isNotFound, isUnavailable } from '../../shared/kube/client.js';
import { TypedKube } from '../../shared/kube/typed.js';
import { type LocalCluster, startLocalCluster } from '../../shared/local/cluster.js';
import { createLogger } from '../../shared/log.js';
import type { ResourceType } from '../../shared/kube/resources.js';
import { defineFunction, when } from '../../shared/runtime/define.js';
import { InProcessEventSource } from '../../shared/runtime/event-source.js';
import type { SluiceEvent } from '../../shared/runtime/events.js';
import { eventually } from '../bed/env.js';

const CONFIG_MAPS: ResourceType = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };

/** A function that wants every ConfigMap change: what the event source watches for. */
const configMapFunction = (name: string) =>
  defineFunction({
    name,
    description: 'test',
    subscriptions: [when(CONFIG_MAPS).isAnyChange()],
    permissions: [],
    handle: async () => ({ result: 'handled' }),
  });

describe('the in-process event source', () => {
  let dir: string;
  let cluster: LocalCluster;
  let kube: TypedKube;
  const seen: SluiceEvent[] = [];
  let source: InProcessEventSource;

  beforeAll(async () => {
    // A private cluster: this test restarts its API server.
    dir = mkdtempSync(join(tmpdir(), 'sluice-watch-'));
    cluster = await startLocalCluster({ dir, log: () => {} });
    kube = TypedKube.fromFile(cluster.kubeconfig);
    await kube.core.createNamespace({ body: { metadata: { name: 'sluice-system' } } });
    await kube.core.createNamespacedConfigMap({ namespace: 'sluice-system', body: { metadata: { name: 'existing' } } });
    // kube-controller-manager adds this one to every new namespace: before the source starts, not during the test.
    await eventually(
      async () => !!(await kube.core.readNamespacedConfigMap({ namespace: 'sluice-system', name: 'kube-root-ca.crt' })),
      30_000,
      'kube-root-ca.crt published',
    );
    source = new InProcessEventSource(kube, settingsSchema.parse({}), createLogger('silent'), (event) => seen.push(event));
    await source.start([configMapFunction('watchConfigMaps')]);
  });
  afterAll(async () => {
    source?.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const names = (verb: string) =>
    seen.filter((e) => e.mode === 'resource' && e.verb === verb).map((e) => (e.mode === 'resource' ? e.ref.name : ''));

  it('emits ApiServerSource events for changes, and nothing for objects that existed before it started', async () => {
    await kube.core.createNamespacedConfigMap({ namespace: 'sluice-system', body: { metadata: { name: 'a' } } });
    await kube.core.replaceNamespacedConfigMap({
      namespace: 'sluice-system',
      name: 'a',
      body: { metadata: { name: 'a' }, data: { k: 'v' } },
    });
    await kube.core.deleteNamespacedConfigMap({ namespace: 'sluice-system', name: 'a' });
    await eventually(async () => names('delete').includes('a'), 10_000, 'delete event');
    expect(names('add')).toEqual(['a']);
    expect(names('update')).toEqual(['a']);
    expect(names('add')).not.toContain('existing');
    const add = seen.find((e) => e.mode === 'resource' && e.verb === 'add');
    expect(add).toMatchObject({ mode: 'resource', ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'sluice-system' } });
  });

  it('resumes after the API server restarts, missing no change', async () => {
    await cluster.restartApiServer();
    for (const name of ['b', 'c', 'd']) {
      await eventually(
        async () => {
          await kube.core.createNamespacedConfigMap({ namespace: 'sluice-system', body: { metadata: { name } } });
          return true;
        },
        20_000,
        `create ${name}`,
      );
    }
    await eventually(async () => ['b', 'c', 'd'].every((n) => names('add').includes(n)), 30_000, 'adds after restart');
    // Each change once: no duplicates from the re-established watch.
    expect(names('add').filter((n) => n === 'b')).toHaveLength(1);
    // The dropped watch is let go of: one open watch for the one target, not one per resumption.
    expect(source.watching).toBe(1);
  });

  it('stopped while its watch is still starting, it leaves none open and emits nothing more', async () => {
    const late: SluiceEvent[] = [];
    const early = new InProcessEventSource(kube, settingsSchema.parse({}), createLogger('silent'), (event) => late.push(event));
    // start() resolves once the list is done and the watch request is sent, before it is answered.
    await early.start([configMapFunction('stoppedEarly')]);
    early.stop();
    await new Promise((r) => setTimeout(r, 500));
    expect(early.watching).toBe(0);
    await kube.core.createNamespacedConfigMap({ namespace: 'sluice-system', body: { metadata: { name: 'after-stop' } } });
    // The running source sees it; the stopped one must not.
    await eventually(async () => names('add').includes('after-stop'), 10_000, 'the running source saw it');
    expect(late).toEqual([]);
  });

  it('takes a custom resource the API server does not serve (yet) for unavailable, not for a deleted object', async () => {
    // Just after a restart, under load, kube-apiserver 1.20 answered reads of existing custom
    // objects with a bare "404 page not found" for a moment (its CRD informer reports synced
    // before the last CRD is in its lister): steps skipped their events as "no longer exists"
    // and those Deployments never started (test/faults/apiserver-restart.test.ts). The same
    // answer, every time: a resource whose CRD is not installed.
    const widgets = new CrClient<{ metadata: { name: string } }>(
      kube,
      { apiVersion: 'test.sluice.dev/v1', kind: 'Widget', plural: 'widgets', namespaced: true },
      'sluice-system',
    );
    const notServed = await widgets.get('w').then(
      (found) => ({ found }),
      (err: unknown) => err,
    );
    expect(notServed, 'not "gone"').not.toEqual({ found: undefined });
    expect(isNotFound(notServed)).toBe(false);
    expect(isUnavailable(notServed), 'retried later').toBe(true);

    // An object that does not exist, of a resource that is served, is still just not found.
    const missing = await kube.core
      .readNamespacedConfigMap({ namespace: 'sluice-system', name: 'never-made' })
      .catch((err: unknown) => err);
    expect(isNotFound(missing)).toBe(true);
    expect(isUnavailable(missing)).toBe(false);
  });
});
