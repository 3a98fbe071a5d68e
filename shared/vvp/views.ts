import type { AppResource, VvpMetadata } from './crs.js';

/**
 * The VVP object a custom resource stands for, as the REST API shows it: `kind`,
 * `apiVersion: v1`, metadata (with VVP's integer resourceVersion, which is the CR's
 * generation), spec, and the status without Sluice's own bookkeeping.
 */
export function toVvp<S, St>(cr: AppResource<S, St>, kind: string) {
  const { sluice: _internal, ...status } = (cr.status ?? {}) as St & { sluice?: unknown };
  const m = cr.spec.metadata;
  const metadata: VvpMetadata & { resourceVersion: number } = {
    id: m.id,
    name: m.name,
    namespace: m.namespace,
    ...(m.displayName !== undefined ? { displayName: m.displayName } : {}),
    labels: m.labels ?? {},
    annotations: m.annotations ?? {},
    createdAt: m.createdAt,
    modifiedAt: m.modifiedAt,
    resourceVersion: cr.metadata.generation ?? 1,
  };
  return { kind, apiVersion: 'v1' as const, metadata, spec: cr.spec.spec, status };
}
