import type { KubernetesObject } from '@kubernetes/client-node';
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

/**
 * One page of `resource` in `namespace` (all namespaces when undefined). A resource of an
 * API group is listed through the custom objects API, which returns the list as the API
 * server sent it: client-node's generic object API rebuilds a custom resource's list
 * metadata as object metadata and drops its `continue` token, so every list of Sluice's own
 * resources stopped after its first page (500 objects), and a resync missed the rest. Core resources (Pods) come back typed, token included.
 */
export async function listPage(
  kube: Kube,
  resource: ResourceType,
  namespace: string | undefined,
  opts: { labelSelector?: string; limit: number; continueToken?: string },
): Promise<ListPage> {
  const slash = resource.apiVersion.indexOf('/');
  if (slash < 0) {
    const page = await kube.objects.list<KubernetesObject>(
      resource.apiVersion,
      resource.kind,
      namespace,
      undefined,
      undefined,
      undefined,
      undefined,
      opts.labelSelector,
      opts.limit,
      opts.continueToken,
    );
    const meta = page.metadata as { _continue?: string; continue?: string; resourceVersion?: string } | undefined;
    return {
      items: objectsOf(resource, page.items),
      continueToken: meta?._continue || meta?.continue || undefined,
      resourceVersion: meta?.resourceVersion,
    };
  }
  const common = {
    group: resource.apiVersion.slice(0, slash),
    version: resource.apiVersion.slice(slash + 1),
    plural: resource.plural,
    labelSelector: opts.labelSelector,
    limit: opts.limit,
    ...(opts.continueToken ? { _continue: opts.continueToken } : {}),
  };
  const page = (await (namespace !== undefined
    ? kube.custom.listNamespacedCustomObject({ ...common, namespace })
    : resource.namespaced
      ? kube.custom.listCustomObjectForAllNamespaces(common)
      : kube.custom.listClusterCustomObject(common))) as {
    items?: KubernetesObject[];
    metadata?: { continue?: string; resourceVersion?: string };
  };
  return {
    items: objectsOf(resource, page.items ?? []),
    continueToken: page.metadata?.continue || undefined,
    resourceVersion: page.metadata?.resourceVersion,
  };
}

const objectsOf = (resource: ResourceType, items: readonly unknown[]) =>
  items.map((item) => asKubeObject(resource, item)).filter((o): o is KubeObject => o !== undefined);
