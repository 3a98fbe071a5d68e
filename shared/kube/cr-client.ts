import type { Kube, ResourceApi } from './client.js';
import { isConflict, isNotFound } from './client.js';
import type { ResourceType } from './resources.js';
import { stableHash } from '../vvp/ids.js';

/**
 * Typed access to one kind of custom resource in one namespace. Writes carry the
 * object's resourceVersion, so a stale write fails with 409 instead of overwriting.
 */
export class CrClient<T extends { metadata: { name: string; resourceVersion?: string } }> {
  readonly #api: ResourceApi<T>;

  constructor(
    kube: Kube,
    resource: ResourceType,
    readonly namespace: string,
  ) {
    this.#api = kube.api<T>(resource);
  }

  async get(name: string): Promise<T | undefined> {
    try {
      return await this.#api.get({ namespace: this.namespace, name });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(labelSelector?: string): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const page = await this.#api.list({ namespace: this.namespace, labelSelector, limit: 500, continue: token });
      items.push(...page.items);
      token = page.metadata?.continue || undefined;
    } while (token);
    return items;
  }

  async create(body: T): Promise<T> {
    return this.#api.create({ namespace: this.namespace, body });
  }

  async replace(body: T): Promise<T> {
    return this.#api.replace({ namespace: this.namespace, name: body.metadata.name, body });
  }

  async replaceStatus(body: T): Promise<T> {
    return this.#api.replaceStatus({ namespace: this.namespace, name: body.metadata.name, body });
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
      await this.#api.delete({
        namespace: this.namespace,
        name,
        body: resourceVersion ? { preconditions: { resourceVersion } } : undefined,
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}
