import { ApiException, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { allCrds } from '../../shared/model/crds.js';
import { ensureCrds } from '../../shared/model/install.js';
import type { Kube } from '../../shared/kube/client.js';

/** An in-memory CRD resource API: resourceVersion checks on replace, Established after a few reads. */
function fakeApi(opts: { establishAfterReads?: number; rejectNames?: string[] } = {}) {
  const store = new Map<string, { body: V1CustomResourceDefinition; reads: number }>();
  const calls: string[] = [];
  let rv = 0;
  const notFound = () => new ApiException(404, 'not found', { reason: 'NotFound' }, {});
  const api = {
    async get({ name }: { name: string }): Promise<V1CustomResourceDefinition> {
      const e = store.get(name);
      if (!e) throw notFound();
      e.reads++;
      const established = e.reads > (opts.establishAfterReads ?? 1);
      const refused = opts.rejectNames?.includes(name);
      return {
        ...structuredClone(e.body),
        status: {
          acceptedNames: { kind: '', plural: '' },
          storedVersions: [],
          conditions: refused
            ? [{ type: 'NamesAccepted', status: 'False', reason: 'ShortNamesConflict', message: 'short name taken' }]
            : [{ type: 'Established', status: established ? 'True' : 'False' }],
        },
      } as V1CustomResourceDefinition;
    },
    async create({ body }: { body: V1CustomResourceDefinition }) {
      const name = body.metadata!.name!;
      calls.push(`create ${name}`);
      if (store.has(name)) throw new ApiException(409, 'exists', { reason: 'AlreadyExists' }, {});
      store.set(name, { body: { ...body, metadata: { ...body.metadata, resourceVersion: String(++rv) } }, reads: 0 });
      return body;
    },
    async replace({ name, body }: { name: string; body: V1CustomResourceDefinition }) {
      calls.push(`replace ${name}@${body.metadata?.resourceVersion}`);
      const e = store.get(name);
      if (!e) throw notFound();
      if (body.metadata?.resourceVersion !== e.body.metadata?.resourceVersion)
        throw new ApiException(409, 'conflict', { reason: 'Conflict' }, {});
      e.body = { ...body, metadata: { ...body.metadata, resourceVersion: String(++rv) } };
      return body;
    },
  };
  return { api, kube: { api: () => api } as unknown as Pick<Kube, 'api'>, store, calls };
}

describe('ensureCrds', () => {
  it('creates every CRD, sending it intact, and waits until Established', async () => {
    const { kube, store, calls } = fakeApi({ establishAfterReads: 3 });
    await ensureCrds(kube, { pollMs: 1 });
    expect(calls).toEqual(allCrds().map((c) => `create ${c.metadata.name}`));
    for (const crd of allCrds()) {
      const sent = store.get(crd.metadata.name)!.body as { spec: unknown };
      expect(sent.spec, crd.metadata.name).toEqual(JSON.parse(JSON.stringify(crd.spec)));
      expect(store.get(crd.metadata.name)!.reads).toBeGreaterThan(3);
    }
  });

  it('replaces existing CRDs with the resourceVersion it read', async () => {
    const { kube, calls } = fakeApi();
    await ensureCrds(kube, { pollMs: 1 });
    calls.length = 0;
    await ensureCrds(kube, { pollMs: 1 });
    expect(calls).toHaveLength(allCrds().length);
    expect(calls.every((c) => /^replace \S+@\d+$/.test(c))).toBe(true);
  });

  it('retries when a concurrent installer created the CRD first', async () => {
    const { api, kube, calls } = fakeApi();
    const [crd] = allCrds();
    const read = api.get.bind(api);
    let raced = false;
    api.get = async (p) => {
      if (!raced) {
        raced = true;
        await expect(read(p)).rejects.toMatchObject({ code: 404 });
        // Someone else creates it between our read and our create.
        await api.create({ body: { metadata: { name: crd!.metadata.name }, spec: {} } as V1CustomResourceDefinition });
        throw new ApiException(404, 'not found', {}, {});
      }
      return read(p);
    };
    await ensureCrds(kube, { crds: [crd!], pollMs: 1 });
    expect(calls).toEqual([`create ${crd!.metadata.name}`, `create ${crd!.metadata.name}`, `replace ${crd!.metadata.name}@1`]);
  });

  it('fails clearly when names are not accepted or it takes too long', async () => {
    const [crd] = allCrds();
    await expect(ensureCrds(fakeApi({ rejectNames: [crd!.metadata.name] }).kube, { crds: [crd!], pollMs: 1 })).rejects.toThrow(
      /names not accepted: short name taken/,
    );
    await expect(ensureCrds(fakeApi({ establishAfterReads: 1e9 }).kube, { crds: [crd!], pollMs: 1, timeoutMs: 20 })).rejects.toThrow(
      /not Established in time/,
    );
  });
});
