import { z } from 'zod';
import { Condition, DnsLabel, Metadata, MetadataInput, appResource, appResourceInput } from './common.js';

/** RFC 6901 JSON pointer: empty (the whole document) or `/`-separated, `~0`/`~1` escapes only. */
export const JsonPointer = z.string().regex(/^(\/([^~/]|~[01])*)*$/, 'must be a JSON pointer such as /spec/template/spec/parallelism');

/** A patch set's pointer: somewhere inside the Deployment, never the whole document (""). */
const PatchPointer = JsonPointer.min(
  1,
  'must point into the deployment, such as /spec/template/spec/parallelism ("" would be the whole document)',
);

/** One RFC 6902 operation of a patch set. */
export const PatchOperation = z
  .strictObject({
    op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']),
    path: PatchPointer,
    value: z.unknown().optional(),
    from: PatchPointer.optional(),
  })
  .superRefine((o, ctx) => {
    if ((o.op === 'add' || o.op === 'replace' || o.op === 'test') && o.value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `required for op ${o.op}` });
    }
    if ((o.op === 'move' || o.op === 'copy') && o.from === undefined) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: `required for op ${o.op}` });
    }
  });

/** Immutable once created (the API refuses a changed spec). */
export const DeploymentTargetSpec = z.strictObject({
  kubernetes: z
    .strictObject({
      /** Default: the platform's own namespace. */
      namespace: DnsLabel.optional(),
    })
    .optional(),
  deploymentPatchSet: z.array(PatchOperation).optional(),
});

/**
 * Sluice's addition (VVP targets have no status): whether the target's namespace exists and
 * Sluice may run jobs there. `conditions` carries a `Ready` condition with the reason.
 */
export const DeploymentTargetStatus = z.strictObject({
  state: z.enum(['READY', 'NOT_READY']).optional(),
  conditions: z.array(Condition).optional(),
});

export const DeploymentTarget = appResource('DeploymentTarget', Metadata, DeploymentTargetSpec, DeploymentTargetStatus);
export const DeploymentTargetInput = appResourceInput('DeploymentTarget', MetadataInput, DeploymentTargetSpec);

export type PatchOperation = z.infer<typeof PatchOperation>;
export type DeploymentTargetSpec = z.infer<typeof DeploymentTargetSpec>;
export type DeploymentTargetStatus = z.infer<typeof DeploymentTargetStatus>;
export type DeploymentTarget = z.infer<typeof DeploymentTarget>;
export type DeploymentTargetInput = z.infer<typeof DeploymentTargetInput>;
