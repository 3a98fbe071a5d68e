import type { CrClient } from '../kube/cr-client.js';
import { isAlreadyExists } from '../kube/client.js';
import { VNAMESPACES } from '../kube/resources.js';
import { BadInput } from '../runtime/errors.js';
import { z } from 'zod';
import { NAMESPACE_ROLES, type NamespaceResource, RoleBinding, check } from '../model/index.js';

export const ACTIVE = 'LIFECYCLE_PHASE_ACTIVE';
const VNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `namespaces/<ns>` or `<ns>`, validated as a DNS label (it names Kubernetes objects). */
export function parseNamespaceName(raw: unknown): string {
  if (typeof raw !== 'string' || raw === '') throw new BadInput('name: a namespace needs a name, e.g. "namespaces/my-team"');
  const name = raw.startsWith('namespaces/') ? raw.slice('namespaces/'.length) : raw;
  if (name.length > 63 || !VNS_NAME.test(name)) {
    throw new BadInput(
      `name: '${name}' is not a valid namespace name (lowercase letters, digits and '-', at most 63, starting and ending alphanumeric)`,
    );
  }
  return name;
}

/** The role bindings a request may set: each grants a namespace role (`admin` is an API token's only). */
const RequestedRoleBindings = z.array(RoleBinding.extend({ role: z.enum(NAMESPACE_ROLES) }));

export function parseRoleBindings(raw: unknown): RoleBinding[] {
  if (raw === undefined) return [];
  const r = check(RequestedRoleBindings, raw, 'roleBindings');
  if (!r.ok) throw new BadInput(r.message);
  return r.value;
}

/** VVP's shape of a namespace. */
export function namespaceView(ns: NamespaceResource) {
  const created = ns.metadata.creationTimestamp;
  return {
    name: `namespaces/${ns.metadata.name}`,
    roleBindings: ns.spec.roleBindings ?? [],
    ...(created ? { createTime: new Date(created).toISOString() } : {}),
    lifecyclePhase: ns.metadata.deletionTimestamp ? 'LIFECYCLE_PHASE_TERMINATING' : (ns.status?.lifecyclePhase ?? ACTIVE),
  };
}

/** vNamespaces as `VNamespace` objects in the platform namespace, named as the vNamespace. */
export class NamespaceStore {
  constructor(readonly crs: CrClient<NamespaceResource>) {}

  get(name: string) {
    return this.crs.get(name);
  }
  list() {
    return this.crs.list();
  }

  async create(name: string, roleBindings: RoleBinding[]): Promise<NamespaceResource> {
    try {
      const created = await this.crs.create({
        apiVersion: VNAMESPACES.apiVersion,
        kind: VNAMESPACES.kind,
        metadata: { name, namespace: this.crs.namespace },
        spec: { roleBindings },
      });
      return this.crs.replaceStatus({ ...created, status: { lifecyclePhase: ACTIVE } }).catch(() => created);
    } catch (err) {
      if (isAlreadyExists(err)) throw new BadInput(`namespace ${name} already exists`, 409);
      throw err;
    }
  }

  /** Creates the namespace unless it exists (installation's `default`). */
  async ensure(name: string): Promise<void> {
    if (await this.crs.get(name)) return;
    await this.create(name, []).catch((err: unknown) => {
      if (!(err instanceof BadInput && err.status === 409)) throw err;
    });
  }
}
