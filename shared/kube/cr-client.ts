import type { Kube } from './client.js';
import { isConflict, isNotFound } from './client.js';
import type { ResourceType } from './resources.js';
import { stableHash } from '../vvp/ids.js';

/**
 * Typed access to one kind of custom resource in one namespace. Writes carry the
 * object's resourceVersion, so a stale write fails with 409 instead of overwriting.
 */
export class CrClient<T extends { metadata: { name: string; resourceVersion?: string } }> {
  readonly #group: string;
  readonly #version: string;

  constructor(
    private readonly kube: Kube,
    private readonly resource: ResourceType,
    readonly namespace: string,
  ) {
    [this.#group, this.#version] = resource.apiVersion.split('/') as [string, string];
  }

  #params(extra: Record<string, unknown> = {}) {
    return { group: this.#group, version: this.#version, namespace: this.namespace, plural: this.resource.plural, ...extra };
  }

  async get(name: string): Promise<T | undefined> {
    try {
      return (await this.kube.custom.getNamespacedCustomObject(this.#params({ name }) as never)) as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(labelSelector?: string): Promise<T[]> {
    const items: T[] = [];
    let _continue: string | undefined;
    do {
      const page = (await this.kube.custom.listNamespacedCustomObject(
        this.#params({ labelSelector, limit: 500, ...(_continue ? { _continue } : {}) }) as never,
      )) as { items: T[]; metadata?: { continue?: string } };
      items.push(...page.items);
      _continue = page.metadata?.continue || undefined;
    } while (_continue);
    return items;
  }

  async create(body: T): Promise<T> {
    return (await this.kube.custom.createNamespacedCustomObject(this.#params({ body }) as never)) as T;
  }

  async replace(body: T): Promise<T> {
    return (await this.kube.custom.replaceNamespacedCustomObject(this.#params({ name: body.metadata.name, body }) as never)) as T;
  }

  async replaceStatus(body: T): Promise<T> {
    return (await this.kube.custom.replaceNamespacedCustomObjectStatus(this.#params({ name: body.metadata.name, body }) as never)) as T;
  }

  /**
   * Writes `status` as the status of `object` (as read) unless it has that status already.
   * 'stale' when the object changed since it was read: the newer version's own event runs the
   * step again, on what is current.
   */
  async writeStatusIfChanged<S>(object: T & { status?: S }, status: S): Promise<'unchanged' | 'written' | 'stale'> {
    if (stableHash(status) === stableHash(object.status ?? {})) return 'unchanged';
    try {
      await this.replaceStatus({ ...object, status });
      return 'written';
    } catch (err) {
      if (isConflict(err)) return 'stale';
      throw err;
    }
  }

  /** Deletes; true if it existed. With a resourceVersion precondition when given. */
  async delete(name: string, resourceVersion?: string): Promise<boolean> {
    try {
      await this.kube.custom.deleteNamespacedCustomObject(
        this.#params({ name, body: resourceVersion ? { preconditions: { resourceVersion } } : {} }) as never,
      );
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}
