import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
// The generated client serializes a CRD by its model's attribute names (`_enum`,
// `x_kubernetes_preserve_unknown_fields`), silently dropping wire-format keys; the CRDs are
// wire-format JSON, so they go through the client's own deserializer first.
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import type { Kube } from '../kube/client.js';
import { apiMessage, isNotFound, statusCode } from '../kube/client.js';
import { type CustomResourceDefinition, allCrds } from './crds.js';

const MODEL = 'V1CustomResourceDefinition';

/** A wire-format CRD as the client's model object (what its API methods expect). */
export function toClientModel(crd: CustomResourceDefinition & { metadata: { resourceVersion?: string } }): V1CustomResourceDefinition {
  return ObjectSerializer.deserialize(structuredClone(crd), MODEL, '') as V1CustomResourceDefinition;
}

/** The wire format the client will send for a model object (for checking that nothing is lost). */
export function toWire(model: V1CustomResourceDefinition): unknown {
  return ObjectSerializer.serialize(model, MODEL, '');
}

export interface EnsureCrdsOptions {
  crds?: CustomResourceDefinition[];
  /** How long to wait for all CRDs to be Established. */
  timeoutMs?: number;
  pollMs?: number;
}

type CrdApi = Kube['extensions'];

async function createOrReplace(api: CrdApi, crd: CustomResourceDefinition): Promise<void> {
  const name = crd.metadata.name;
  for (let attempt = 1; ; attempt++) {
    let existing: V1CustomResourceDefinition | undefined;
    try {
      existing = await api.readCustomResourceDefinition({ name });
    } catch (err) {
      if (!isNotFound(err)) throw new Error(`reading CRD ${name}: ${apiMessage(err)}`, { cause: err });
    }
    try {
      if (!existing) await api.createCustomResourceDefinition({ body: toClientModel(crd) });
      else {
        // Replace with the read resourceVersion: a concurrent installer's write is not lost silently.
        const body = toClientModel({ ...crd, metadata: { ...crd.metadata, resourceVersion: existing.metadata?.resourceVersion } });
        await api.replaceCustomResourceDefinition({ name, body });
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
    const crd = await api.readCustomResourceDefinition({ name });
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
export async function ensureCrds(kube: Pick<Kube, 'extensions'>, opts: EnsureCrdsOptions = {}): Promise<void> {
  const crds = opts.crds ?? allCrds();
  const api = kube.extensions;
  for (const crd of crds) await createOrReplace(api, crd);
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  await Promise.all(crds.map((c) => waitEstablished(api, c.metadata.name, deadline, opts.pollMs ?? 100)));
}
