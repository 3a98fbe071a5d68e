import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { Kube } from '../kube/client.js';
import { apiMessage, isNotFound, statusCode } from '../kube/client.js';
import { CRDS } from '../kube/resources.js';
import { type CustomResourceDefinition, allCrds } from './crds.js';

export interface EnsureCrdsOptions {
  crds?: CustomResourceDefinition[];
  /** How long to wait for all CRDs to be Established. */
  timeoutMs?: number;
  pollMs?: number;
}

type CrdApi = ReturnType<Kube['api']>;
type Stored = V1CustomResourceDefinition;

async function createOrReplace(api: CrdApi, crd: CustomResourceDefinition): Promise<void> {
  const name = crd.metadata.name;
  for (let attempt = 1; ; attempt++) {
    let existing: Stored | undefined;
    try {
      existing = (await api.get({ name })) as Stored;
    } catch (err) {
      if (!isNotFound(err)) throw new Error(`reading CRD ${name}: ${apiMessage(err)}`, { cause: err });
    }
    try {
      if (!existing) await api.create({ body: crd });
      else {
        // Replace with the read resourceVersion: a concurrent installer's write is not lost silently.
        await api.replace({ name, body: { ...crd, metadata: { ...crd.metadata, resourceVersion: existing.metadata?.resourceVersion } } });
      }
      return;
    } catch (err) {
      // 409: created or changed by someone else meanwhile; read again and retry.
      if (statusCode(err) === 409 && attempt < 5) continue;
      throw new Error(`installing CRD ${name}: ${apiMessage(err)}`, { cause: err });
    }
  }
}

async function waitEstablished(api: CrdApi, name: string, deadline: number, pollMs: number): Promise<void> {
  for (;;) {
    const crd = (await api.get({ name })) as Stored;
    const conditions = crd.status?.conditions ?? [];
    if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) return;
    const refused = conditions.find((c) => c.type === 'NamesAccepted' && c.status === 'False');
    if (refused) throw new Error(`CRD ${name}: names not accepted: ${refused.message ?? refused.reason ?? ''}`);
    if (Date.now() >= deadline) {
      throw new Error(
        `CRD ${name} not Established in time: ${conditions.map((c) => `${c.type}=${c.status} ${c.message ?? ''}`).join('; ') || 'no conditions'}`,
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * Creates each CRD, or replaces it if it exists (so a changed schema takes effect), then
 * waits until all are Established, i.e. their resources can be used. Idempotent.
 */
export async function ensureCrds(kube: Pick<Kube, 'api'>, opts: EnsureCrdsOptions = {}): Promise<void> {
  const crds = opts.crds ?? allCrds();
  const api = kube.api(CRDS);
  for (const crd of crds) await createOrReplace(api, crd);
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  await Promise.all(crds.map((c) => waitEstablished(api, c.metadata.name, deadline, opts.pollMs ?? 100)));
}
