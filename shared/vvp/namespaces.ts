import type { CrClient } from '../kube/cr-client.js';
import { isAlreadyExists } from '../kube/client.js';
import { VNAMESPACES } from '../kube/resources.js';
import { BadInput } from '../runtime/errors.js';
import { NAMESPACE_ROLES, type NamespaceResource, type Role, type RoleBinding } from '../model/index.js';

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

export function parseRoleBindings(raw: unknown): RoleBinding[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new BadInput('roleBindings: expected a list of {role, members}');
  return raw.map((b, i) => {
    const role = (b as { role?: unknown })?.role;
    const members = (b as { members?: unknown })?.members;
    if (!(NAMESPACE_ROLES as readonly unknown[]).includes(role))
      throw new BadInput(`roleBindings[${i}].role: expected ${NAMESPACE_ROLES.slice(0, -1).join(', ')} or ${NAMESPACE_ROLES.at(-1)}`);
    if (!Array.isArray(members) || members.some((m) => typeof m !== 'string' || !/^(user:.+|group:.+|system:authenticated)$/.test(m))) {
      throw new BadInput(`roleBindings[${i}].members: expected a list of "user:NAME", "group:NAME" or "system:authenticated"`);
    }
    return { role: role as Role, members: members as string[] };
  });
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
