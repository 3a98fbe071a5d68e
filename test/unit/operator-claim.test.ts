import { ApiException, type V1ConfigMap } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Kube } from '../../shared/kube/client.js';
import {
  LEADER_ANNOTATION,
  LEADER_CONFIGMAP,
  claimNamespace,
  ensureNamespaceClaimed,
  holderOf,
  leaderConfigMap,
} from '../../shared/operator/claim.js';
import { crLockKey, managedByValue, parseManagedBy, sameRef } from '../../shared/operator/cr.js';
import { settingsSchema } from '../../shared/config.js';

const apiError = (code: number, reason: string) => new ApiException(code, reason, JSON.stringify({ kind: 'Status', reason, code }), {});

/** A fake ConfigMap API; `beforeCreate` can simulate a competing operator. */
function fakeKube(opts: { namespaces?: string[]; beforeCreate?: (store: Map<string, V1ConfigMap>) => void } = {}) {
  const store = new Map<string, V1ConfigMap>();
  const namespaces = new Set(opts.namespaces ?? ['team']);
  const calls: string[] = [];
  const configMaps = {
    async get({ namespace, name }: { namespace: string; name: string }) {
      calls.push(`read ${namespace}`);
      const cm = store.get(`${namespace}/${name}`);
      if (!cm) throw apiError(404, 'NotFound');
      return structuredClone(cm);
    },
    async create({ namespace, body }: { namespace: string; body: V1ConfigMap }) {
      calls.push(`create ${namespace}`);
      if (!namespaces.has(namespace)) throw apiError(404, 'NotFound');
      opts.beforeCreate?.(store);
      const key = `${namespace}/${body.metadata!.name}`;
      if (store.has(key)) throw apiError(409, 'AlreadyExists');
      store.set(key, structuredClone(body));
      return body;
    },
    async replace({ namespace, name, body }: { namespace: string; name: string; body: V1ConfigMap }) {
      calls.push(`replace ${namespace}`);
      store.set(`${namespace}/${name}`, structuredClone(body));
      return body;
    },
  };
  return { kube: { api: () => configMaps } as unknown as Kube, store, calls };
}

describe('the leader-election ConfigMap', () => {
  it('is a ConfigMapLock record for the identity, lasting (practically) forever', () => {
    const cm = leaderConfigMap('team', 'vvp-1', new Date('2026-01-01T00:00:00Z'));
    expect(cm.metadata!.name).toBe('ververica-operator-leader-election');
    expect(cm.data).toEqual({ identity: 'vvp-1' });
    expect(JSON.parse(cm.metadata!.annotations![LEADER_ANNOTATION]!)).toEqual({
      holderIdentity: 'vvp-1',
      leaseDurationSeconds: 2147483647,
      acquireTime: '2026-01-01T00:00:00.000Z',
      renewTime: '2026-01-01T00:00:00.000Z',
      leaderTransitions: 0,
    });
    expect(holderOf(cm)).toBe('vvp-1');
  });

  it('names its holder by the leader record, else by data.identity', () => {
    expect(holderOf({ metadata: {}, data: { identity: 'vvp-2' } })).toBe('vvp-2');
    expect(holderOf({ metadata: { annotations: { [LEADER_ANNOTATION]: 'not json' } }, data: { identity: 'vvp-3' } })).toBe('vvp-3');
    expect(holderOf({ metadata: { annotations: { [LEADER_ANNOTATION]: '{"holderIdentity":""}' } } })).toBeUndefined();
  });
});

describe('claiming a namespace', () => {
  it('creates the lock, finds it its own later, and is refused by another identity', async () => {
    const { kube } = fakeKube();
    expect(await claimNamespace({ kube }, 'team', 'vvp-1')).toEqual({ claimed: true });
    expect(await claimNamespace({ kube }, 'team', 'vvp-1')).toEqual({ claimed: true });
    expect(await claimNamespace({ kube }, 'team', 'vvp-2')).toEqual({ claimed: false, reason: 'held', holder: 'vvp-1' });
  });

  it('loses a race to a competing identity cleanly: it reads who won', async () => {
    let raced = false;
    const { kube } = fakeKube({
      beforeCreate: (store) => {
        if (raced) return;
        raced = true;
        store.set(`team/${LEADER_CONFIGMAP}`, leaderConfigMap('team', 'vvp-other'));
      },
    });
    expect(await claimNamespace({ kube }, 'team', 'vvp-1')).toEqual({ claimed: false, reason: 'held', holder: 'vvp-other' });
  });

  it('takes a lock that has no holder, and reports a namespace that does not exist', async () => {
    const { kube, store } = fakeKube();
    store.set(`team/${LEADER_CONFIGMAP}`, { metadata: { name: LEADER_CONFIGMAP, namespace: 'team', resourceVersion: '5' } });
    expect(await claimNamespace({ kube }, 'team', 'vvp-1')).toEqual({ claimed: true });
    expect(holderOf(store.get(`team/${LEADER_CONFIGMAP}`)!)).toBe('vvp-1');
    expect(await claimNamespace({ kube }, 'elsewhere', 'vvp-1')).toEqual({ claimed: false, reason: 'namespace-missing' });
  });

  it('is checked once per process and namespace when ours, every time when not', async () => {
    const settings = { ...settingsSchema.parse({}), operatorIdentity: `unit-${Math.random()}` };
    const { kube, calls } = fakeKube({ namespaces: ['a', 'b'] });
    await ensureNamespaceClaimed({ kube, settings }, 'a');
    await ensureNamespaceClaimed({ kube, settings }, 'a');
    expect(calls.filter((c) => c.endsWith(' a'))).toEqual(['read a', 'create a']);
    const other = { ...settings, operatorIdentity: `${settings.operatorIdentity}-other` };
    expect(await ensureNamespaceClaimed({ kube, settings: other }, 'a')).toMatchObject({
      claimed: false,
      holder: settings.operatorIdentity,
    });
    expect(await ensureNamespaceClaimed({ kube, settings: other }, 'a')).toMatchObject({ claimed: false });
    expect(calls.filter((c) => c === 'read a')).toHaveLength(3);
  });
});

describe('the managed-by-cr annotation', () => {
  it('names a CR as <k8s-namespace>/<name>, and parses back', () => {
    const ref = { namespace: 'vvp-jobs-some-user', name: 'test-cr' };
    expect(managedByValue(ref)).toBe('vvp-jobs-some-user/test-cr');
    expect(parseManagedBy(managedByValue(ref))).toEqual(ref);
    expect(sameRef(parseManagedBy('vvp-jobs-some-user/test-cr'), ref)).toBe(true);
    for (const bad of [undefined, '', 'no-slash', 'Bad_NS/x', 'a/b/c']) expect(parseManagedBy(bad), String(bad)).toBeUndefined();
    expect(crLockKey(ref)).toBe('vvpdeployment/vvp-jobs-some-user/test-cr');
  });
});
