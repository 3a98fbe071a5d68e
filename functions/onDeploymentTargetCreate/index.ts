import type { V1Namespace, V1RoleBinding } from '@kubernetes/client-node';
import { apiMessage, isAlreadyExists, isNotFound, statusCode } from '../../shared/kube/client.js';
import { serviceAccountName, targetRoleName } from '../../shared/runtime/rbac.js';
import { DEPLOYMENT_TARGETS, NAMESPACES, ROLE_BINDINGS } from '../../shared/kube/resources.js';
import { type FunctionContext, defineFunction, when } from '../../shared/runtime/define.js';
import { permissions } from './permissions.js';
import { TARGET_PRINCIPALS } from '../permissions.js';
import type { TargetResource } from '../../shared/model/index.js';
import { roleBinding, targetNamespace, targetStatus } from './logic.js';

/** One RoleBinding per principal, granting its target ClusterRole in `namespace`. */
function targetBindings(ctx: FunctionContext, namespace: string) {
  return TARGET_PRINCIPALS.map((p) => roleBinding(namespace, targetRoleName(p), serviceAccountName(p), ctx.settings.platformNamespace));
}

async function ensureNamespace(ctx: FunctionContext, name: string): Promise<{ ok: true } | { ok: false; reason: string; message: string }> {
  try {
    await ctx.kube.api<V1Namespace>(NAMESPACES).get({ name });
    return { ok: true };
  } catch (err) {
    if (!isNotFound(err) && statusCode(err) !== 403) throw err;
  }
  try {
    await ctx.kube.api<V1Namespace>(NAMESPACES).create({ body: { metadata: { name, labels: { 'sluice.dev/created-by': 'sluice' } } } });
    return { ok: true };
  } catch (err) {
    if (isAlreadyExists(err)) return { ok: true };
    if (statusCode(err) === 403) {
      return {
        ok: false,
        reason: 'NamespaceMissing',
        message: `namespace ${name} does not exist and Sluice may not create it: ${apiMessage(err)}`,
      };
    }
    throw err;
  }
}

async function ensureBindings(ctx: FunctionContext, namespace: string): Promise<{ names: string[]; error?: string }> {
  const names: string[] = [];
  for (const binding of targetBindings(ctx, namespace)) {
    names.push(binding.metadata!.name!);
    try {
      await ctx.kube.api<V1RoleBinding>(ROLE_BINDINGS).create({ namespace, body: binding });
    } catch (err) {
      if (isAlreadyExists(err)) continue;
      if (statusCode(err) === 403 || statusCode(err) === 404)
        return { names, error: `cannot bind ${binding.roleRef.name} in ${namespace}: ${apiMessage(err)}` };
      throw err;
    }
  }
  return { names };
}

/** On deletion: remove the bindings, unless a Deployment still references the target. */
async function cleanUp(ctx: FunctionContext, target: TargetResource) {
  const users = await ctx.crs.deployments.list(`sluice.dev/target-id=${target.spec.metadata.id}`);
  if (users.length > 0) {
    return { result: 'skipped' as const, reason: `target still referenced by deployment ${users[0]!.spec.metadata.name}: bindings kept` };
  }
  const namespace = targetNamespace(target, ctx.settings.platformNamespace);
  const others = (await ctx.crs.targets.list()).filter(
    (t) => t.spec.metadata.id !== target.spec.metadata.id && targetNamespace(t, ctx.settings.platformNamespace) === namespace,
  );
  if (others.length > 0)
    return { result: 'skipped' as const, reason: `namespace ${namespace} still used by target ${others[0]!.spec.metadata.name}` };
  for (const binding of targetBindings(ctx, namespace)) {
    await ctx.kube
      .api<V1RoleBinding>(ROLE_BINDINGS)
      .delete({ namespace, name: binding.metadata!.name! })
      .catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
  }
  return { result: 'handled' as const, reason: `bindings removed from ${namespace}` };
}

export default defineFunction({
  name: 'onDeploymentTargetCreate',
  description: "Makes a Deployment Target's namespace ready: exists, and Sluice's functions may manage Flink jobs there",
  subscriptions: [when(DEPLOYMENT_TARGETS).isAnyChange()],
  permissions,
  async handle(event, ctx) {
    const targets = ctx.crs.targets;
    if (event.verb === 'delete') {
      if (event.mode !== 'resource') return { result: 'skipped', reason: 'deleted target: its content is gone' };
      return cleanUp(ctx, event.object as TargetResource);
    }
    const target = await targets.get(event.ref.name);
    if (!target) return { result: 'skipped', reason: 'target no longer exists' };
    const namespace = targetNamespace(target, ctx.settings.platformNamespace);
    const now = new Date().toISOString();

    const ns = await ensureNamespace(ctx, namespace);
    let status;
    if (!ns.ok) status = targetStatus(target, { ready: false, reason: ns.reason, message: ns.message }, now);
    else {
      const bindings = await ensureBindings(ctx, namespace);
      status = bindings.error
        ? targetStatus(target, { ready: false, reason: 'PermissionsMissing', message: bindings.error }, now)
        : targetStatus(target, { ready: true, namespace, bindings: bindings.names }, now);
    }
    switch (await targets.writeStatusIfChanged(target, status)) {
      case 'unchanged':
        return { result: 'skipped', reason: `target ${status.state}: unchanged` };
      case 'stale':
        return { result: 'skipped', reason: 'stale: the target changed meanwhile' };
      case 'written':
        return { result: 'handled', reason: `target ${status.state}` };
    }
  },
});
