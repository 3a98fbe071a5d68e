import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { CrClient } from '../../shared/kube/cr-client.js';
import type { Kube } from '../../shared/kube/client.js';
import { DEPLOYMENT_TARGETS } from '../../shared/kube/resources.js';

type Target = { metadata: { name: string; resourceVersion?: string }; status?: { state: string; conditions?: unknown[] } };

/** An API server's status subresource of one object: a write naming a stale resourceVersion is a Conflict. */
function fakeKube(stored: Target) {
  const writes: Target[] = [];
  const api = {
    async replaceStatus({ body }: { body: Target }) {
      if (body.metadata.resourceVersion !== stored.metadata.resourceVersion) {
        throw new ApiException(
          409,
          'conflict',
          JSON.stringify({ kind: 'Status', code: 409, reason: 'Conflict', message: 'the object has been modified' }),
          {},
        );
      }
      writes.push(body);
      return { ...body, metadata: { ...body.metadata, resourceVersion: String(Number(body.metadata.resourceVersion) + 1) } };
    },
  };
  return { kube: { api: () => api } as unknown as Kube, writes };
}

describe('writeStatusIfChanged', () => {
  const read: Target = { metadata: { name: 't', resourceVersion: '7' }, status: { state: 'READY', conditions: [] } };

  it("writes nothing when the object has that status already, whatever its keys' order", async () => {
    const { kube, writes } = fakeKube(read);
    const crs = new CrClient<Target>(kube, DEPLOYMENT_TARGETS, 'sluice-system');
    expect(await crs.writeStatusIfChanged(read, { conditions: [], state: 'READY' })).toBe('unchanged');
    expect(writes).toEqual([]);
  });

  it('writes a changed status onto the version it read', async () => {
    const { kube, writes } = fakeKube(read);
    const crs = new CrClient<Target>(kube, DEPLOYMENT_TARGETS, 'sluice-system');
    expect(await crs.writeStatusIfChanged(read, { state: 'NOT_READY' })).toBe('written');
    expect(writes).toEqual([{ metadata: { name: 't', resourceVersion: '7' }, status: { state: 'NOT_READY' } }]);
  });

  it('is stale when the object changed since it was read', async () => {
    const { kube, writes } = fakeKube({ ...read, metadata: { name: 't', resourceVersion: '8' } });
    const crs = new CrClient<Target>(kube, DEPLOYMENT_TARGETS, 'sluice-system');
    expect(await crs.writeStatusIfChanged(read, { state: 'NOT_READY' })).toBe('stale');
    expect(writes).toEqual([]);
  });
});
