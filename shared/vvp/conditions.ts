import type { Condition } from '../model/index.js';

/** A condition before its timestamps are set. */
export interface ConditionInput {
  type: string;
  status: Condition['status'];
  reason: string;
  message: string;
}

/**
 * Sets (or with `set: undefined`, removes) conditions by type, keeping the others.
 * lastTransitionTime moves only when a condition's status changes (Kubernetes's convention),
 * so an unchanged outcome gives an unchanged list and no status write.
 */
export function withConditions(
  prev: readonly Condition[] | undefined,
  updates: { type: string; set?: ConditionInput }[],
  now: string,
): Condition[] {
  let out = [...(prev ?? [])];
  for (const { type, set } of updates) {
    const old = out.find((c) => c.type === type);
    if (!set) {
      out = out.filter((c) => c.type !== type);
      continue;
    }
    const next: Condition = {
      type,
      status: set.status,
      reason: set.reason,
      message: set.message,
      lastTransitionTime: old && old.status === set.status && old.lastTransitionTime ? old.lastTransitionTime : now,
    };
    out = old ? out.map((c) => (c.type === type ? next : c)) : [...out, next];
  }
  return out;
}
