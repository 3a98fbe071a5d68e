import type { Kube } from '../kube/client.js';
import type { ResourceType } from '../kube/resources.js';
import { type KubeObject, kubeObjectSchema } from './events.js';

/**
 * An object of `resource` as a list or a watch gives it, in an event's shape: list items come
 * without apiVersion/kind, so they are put back. Undefined for what is not a valid object.
 */
export function asKubeObject(resource: ResourceType, item: unknown): KubeObject | undefined {
  const parsed = kubeObjectSchema.safeParse({ apiVersion: resource.apiVersion, kind: resource.kind, ...(item as object) });
  return parsed.success ? parsed.data : undefined;
}

/** One page of a list: its valid objects, where to go on, and its version. */
export interface ListPage {
  items: KubeObject[];
  continueToken: string | undefined;
  resourceVersion: string | undefined;
}

/** One page of `resource` in `namespace` (all namespaces when undefined). */
export async function listPage(
  kube: Kube,
  resource: ResourceType,
  namespace: string | undefined,
  opts: { labelSelector?: string; limit: number; continueToken?: string },
): Promise<ListPage> {
  const page = await kube
    .api(resource)
    .list({ namespace, labelSelector: opts.labelSelector, limit: opts.limit, continue: opts.continueToken });
  return {
    items: objectsOf(resource, page.items ?? []),
    continueToken: page.metadata?.continue || undefined,
    resourceVersion: page.metadata?.resourceVersion,
  };
}

const objectsOf = (resource: ResourceType, items: readonly unknown[]) =>
  items.map((item) => asKubeObject(resource, item)).filter((o): o is KubeObject => o !== undefined);
