import type { Json } from '../model/index.js';
import { mergePatch } from './merge.js';

/**
 * VVP's values for the Deployment fields a request leaves out, shown in every answer so
 * that a Deployment says what it runs with. They are what Sluice does with an unset field
 * (deploymentStep and the Flink objects use the same values). Resources are not shown: a
 * VvpDeployment CR (whose schema refuses every `cpu` value) gets a Deployment's spec written
 * back; unset, the JobManager gets 1 CPU / 1G and each TaskManager 1 CPU / 2G, as in VVP.
 */
export const BUILTIN_DEPLOYMENT_DEFAULTS = {
  upgradeStrategy: { kind: 'STATELESS' },
  restoreStrategy: { kind: 'LATEST_SAVEPOINT', allowNonRestoredState: false },
  maxJobCreationAttempts: 4,
  maxSavepointCreationAttempts: 4,
  template: {
    spec: {
      parallelism: 1,
      logging: { loggingProfile: 'default', log4jLoggers: { '': 'INFO' } },
    },
  },
} as const;

const TARGET_FIELDS = ['deploymentTargetId', 'deploymentTargetName', 'sessionClusterName'] as const;

/**
 * A Deployment spec with defaults under it: `spec` is merged onto `defaults` as a JSON merge
 * patch (objects merge field by field, lists and values replace, a `null` in the spec drops
 * a default). Where the Deployment runs is one choice: a spec naming a target or session
 * cluster itself takes none of those fields from the defaults.
 */
export function withDefaults(spec: unknown, ...defaults: (Json | undefined)[]): unknown {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return spec;
  const own = spec as Json;
  const choosesPlacement = TARGET_FIELDS.some((f) => own[f] !== undefined && own[f] !== null);
  let base: unknown = {};
  for (const layer of defaults) {
    if (!layer) continue;
    const usable = choosesPlacement
      ? Object.fromEntries(Object.entries(layer).filter(([k]) => !(TARGET_FIELDS as readonly string[]).includes(k)))
      : layer;
    base = mergePatch(base, usable);
  }
  return mergePatch(base, own);
}
