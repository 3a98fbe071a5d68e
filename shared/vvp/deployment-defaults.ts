import { DeploymentDefaultsInput, check } from '../model/index.js';
import { BadInput } from '../runtime/errors.js';
import type { Json } from '../model/index.js';
import { withDefaults } from './defaults.js';
import { uuidV5 } from './ids.js';
import { validateDeployment } from './input.js';
import { mergePatch } from './merge.js';
import type { StoredDeploymentDefaults } from '../model/index.js';

/** UUID namespace of the ids of vNamespaces' Deployment Defaults (one per vNamespace, stable before the first PATCH). */
const DEFAULTS_NS = '9a0e4f3c-2b7d-4e61-8c55-3f1d2a6b7e90';
/** VVP names the one DeploymentDefaults object of a namespace `default`. */
const NAME = 'default';

/** A vNamespace's Deployment Defaults as VVP shows them; none set yet is an empty spec, version 0. */
export function defaultsView(vns: string, stored: StoredDeploymentDefaults | undefined, namespaceCreatedAt: string) {
  return {
    kind: 'DeploymentDefaults' as const,
    apiVersion: 'v1' as const,
    metadata: {
      id: stored?.id ?? uuidV5(`deployment-defaults/${vns}`, DEFAULTS_NS),
      name: NAME,
      namespace: vns,
      labels: stored?.labels ?? {},
      annotations: stored?.annotations ?? {},
      createdAt: stored?.createdAt ?? namespaceCreatedAt,
      modifiedAt: stored?.modifiedAt ?? namespaceCreatedAt,
      resourceVersion: stored?.resourceVersion ?? 0,
    },
    spec: stored?.spec ?? {},
  };
}

/**
 * A minimal Deployment the defaults are checked on (merged onto it as a Deployment's spec is
 * onto defaults): every field they set must be valid in a Deployment, and nothing they leave
 * out is required of them.
 */
const PROBE = {
  state: 'CANCELLED',
  deploymentTargetName: 'probe',
  template: { spec: { artifact: { kind: 'JAR', jarUri: 'file:///probe.jar' } } },
};

/** Refuses defaults that would make a Deployment invalid, naming the field (prefixed `spec.`). */
export function checkDefaultsSpec(spec: Json): void {
  try {
    validateDeployment({ metadata: { name: 'probe' }, spec: withDefaults(spec, PROBE) });
  } catch (err) {
    if (err instanceof BadInput) throw new BadInput(`deployment defaults: ${err.message}`, 400);
    throw err;
  }
}

/**
 * The defaults after a PATCH (a JSON merge patch of `{metadata, spec}`; `spec: null` clears
 * them). A `metadata.resourceVersion` must be the current one (409); the other server fields
 * are ignored. Pure: validates everything before anything is stored.
 */
export function patchedDefaults(
  vns: string,
  current: StoredDeploymentDefaults | undefined,
  body: unknown,
  now: string,
): StoredDeploymentDefaults {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new BadInput('the body must be an object with metadata and/or spec');
  const r = check(DeploymentDefaultsInput, body);
  if (!r.ok) throw new BadInput(r.message);
  const { metadata = {}, spec } = r.value;
  if (metadata.namespace !== undefined && metadata.namespace !== vns) {
    throw new BadInput(`metadata.namespace '${metadata.namespace}' does not match the namespace of the path '${vns}'`);
  }
  const version = current?.resourceVersion ?? 0;
  if (metadata.resourceVersion !== undefined && metadata.resourceVersion !== version) {
    throw new BadInput(
      `metadata.resourceVersion ${metadata.resourceVersion} is stale: the current version is ${version}; read the deployment defaults again`,
      409,
    );
  }
  const nextSpec = spec === null ? {} : (mergePatch(current?.spec ?? {}, spec ?? {}) as Json);
  checkDefaultsSpec(nextSpec);
  const labels = metadata.labels ?? current?.labels;
  const annotations = metadata.annotations ?? current?.annotations;
  return {
    id: current?.id ?? uuidV5(`deployment-defaults/${vns}`, DEFAULTS_NS),
    createdAt: current?.createdAt ?? now,
    modifiedAt: now,
    resourceVersion: version + 1,
    ...(labels ? { labels } : {}),
    ...(annotations ? { annotations } : {}),
    spec: nextSpec,
  };
}

/**
 * A new Deployment's body with its vNamespace's defaults under its spec (withDefaults' rules:
 * a JSON merge patch of the Deployment's spec onto the defaults; a target or session cluster
 * named by the Deployment replaces the defaults' choice of one).
 */
export function withNamespaceDefaults(body: unknown, defaults: StoredDeploymentDefaults | undefined): unknown {
  if (!defaults || !body || typeof body !== 'object' || Array.isArray(body)) return body;
  const { spec, ...rest } = body as { spec?: unknown };
  return { ...rest, spec: withDefaults(spec ?? {}, defaults.spec as Json) };
}
