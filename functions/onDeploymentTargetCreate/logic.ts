import type { V1RoleBinding } from '@kubernetes/client-node';
import { type ConditionInput, withConditions } from '../../shared/vvp/conditions.js';
import type { TargetCrStatus, TargetResource } from '../../shared/model/index.js';

export const BINDING_LABEL = 'sluice.dev/managed-by';

/** The Kubernetes namespace a target deploys into (default, the platform's own). */
export const targetNamespace = (t: TargetResource, platformNamespace: string) => t.spec.spec.kubernetes?.namespace ?? platformNamespace;

/** A RoleBinding granting one function's target ClusterRole to its service account, in one namespace. */
export function roleBinding(namespace: string, role: string, serviceAccount: string, platformNamespace: string): V1RoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: role, namespace, labels: { [BINDING_LABEL]: 'sluice' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace: platformNamespace }],
  };
}

/** The target's status given the outcome of ensuring its namespace and bindings; pure. */
export function targetStatus(
  t: TargetResource,
  outcome: { ready: true; namespace: string; bindings: string[] } | { ready: false; reason: string; message: string },
  now: string,
): TargetCrStatus {
  const ready: ConditionInput = outcome.ready
    ? {
        type: 'Ready',
        status: 'True',
        reason: 'NamespaceReady',
        message: `namespace ${outcome.namespace} exists and Sluice may manage Flink jobs in it`,
      }
    : { type: 'Ready', status: 'False', reason: outcome.reason, message: outcome.message };
  return {
    state: outcome.ready ? 'READY' : 'NOT_READY',
    conditions: withConditions(t.status?.conditions, [{ type: 'Ready', set: ready }], now),
    sluice: {
      observedGeneration: t.metadata.generation,
      ...(outcome.ready ? { namespace: outcome.namespace, bindings: outcome.bindings } : {}),
    },
  };
}
