import { randomUUID } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { Kube } from '../kube/client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../kube/client.js';
import { LABELS, objectName } from '../model/naming.js';
import { BadInput, NotFound } from '../runtime/errors.js';
import { SECRETS } from '../kube/resources.js';

/**
 * VVP's Secret Values: named, write-only values of a vNamespace, used in a Deployment's
 * flinkConfiguration as `${secret_values.<name>}`, so a credential never appears in a
 * Deployment, a Job, a ConfigMap or a log. Each is a Kubernetes Secret in the platform
 * namespace; a job gets the values it references in a Secret of its own (flink-resources.ts).
 */

/** `${secret_values.<name>}` in a Flink configuration value. */
const REFERENCE = /\$\{secret_values\.([A-Za-z0-9][-A-Za-z0-9_.]*)\}/g;
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const KIND = 'secret-value';
const KINDS = ['Plain'] as const;
const MAX_VALUE_BYTES = 64 * 1024;

/** The secret values a Flink configuration references, sorted, each once. */
export function referencedSecretValues(conf: Record<string, string> | undefined): string[] {
  const names = new Set<string>();
  for (const value of Object.values(conf ?? {})) for (const m of value.matchAll(REFERENCE)) names.add(m[1]!);
  return [...names].sort();
}

/** The configuration with each reference replaced by its value; a reference without one is left as it is. */
export function substituteSecretValues(conf: Record<string, string>, values: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(conf).map(([k, v]) => [k, v.replace(REFERENCE, (ref, name: string) => values[name] ?? ref)]));
}

export interface SecretValueMetadata {
  id: string;
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  createdAt: string;
  modifiedAt: string;
  resourceVersion: number;
}

/** What a request may set: metadata (the server's fields accepted and ignored unless stale) and spec {kind, value}. */
export interface SecretValueInput {
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: number;
  kind?: string;
  value?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isStringMap = (v: unknown): v is Record<string, string> => isObject(v) && Object.values(v).every((x) => typeof x === 'string');

/** Validates a SecretValue body (POST or PATCH), naming the field at fault; the value is never repeated in a message. */
export function parseSecretValueInput(body: unknown, vns: string): SecretValueInput {
  if (!isObject(body)) throw new BadInput('the body must be an object with metadata and spec');
  for (const key of Object.keys(body))
    if (!['kind', 'apiVersion', 'metadata', 'spec'].includes(key)) throw new BadInput(`${key}: unknown field`);
  if (body.kind !== undefined && body.kind !== 'SecretValue') throw new BadInput('kind: must be SecretValue');
  if (body.apiVersion !== undefined && body.apiVersion !== 'v1') throw new BadInput('apiVersion: must be v1');
  const meta = body.metadata ?? {};
  const spec = body.spec ?? {};
  if (!isObject(meta)) throw new BadInput('metadata: must be an object');
  if (!isObject(spec)) throw new BadInput('spec: must be an object');
  const known = ['id', 'name', 'namespace', 'labels', 'annotations', 'createdAt', 'modifiedAt', 'resourceVersion'];
  for (const key of Object.keys(meta)) if (!known.includes(key)) throw new BadInput(`metadata.${key}: unknown field`);
  for (const key of Object.keys(spec)) if (!['kind', 'value'].includes(key)) throw new BadInput(`spec.${key}: unknown field`);
  if (meta.name !== undefined && (typeof meta.name !== 'string' || meta.name.length > 63 || !NAME.test(meta.name))) {
    throw new BadInput("metadata.name: letters, digits, '-', '_' and '.', at most 63, starting and ending with a letter or digit");
  }
  if (meta.namespace !== undefined && meta.namespace !== vns)
    throw new BadInput(`metadata.namespace '${String(meta.namespace)}' does not match the namespace of the path '${vns}'`);
  for (const key of ['labels', 'annotations'] as const)
    if (meta[key] !== undefined && !isStringMap(meta[key])) throw new BadInput(`metadata.${key}: must map strings to strings`);
  if (meta.resourceVersion !== undefined && (typeof meta.resourceVersion !== 'number' || !Number.isInteger(meta.resourceVersion)))
    throw new BadInput('metadata.resourceVersion: must be an integer');
  if (spec.kind !== undefined && !KINDS.includes(spec.kind as (typeof KINDS)[number]))
    throw new BadInput(`spec.kind: must be one of ${KINDS.join(', ')}`);
  if (spec.value !== undefined) {
    if (typeof spec.value !== 'string') throw new BadInput('spec.value: must be a string');
    if (Buffer.byteLength(spec.value) > MAX_VALUE_BYTES) throw new BadInput(`spec.value: at most ${MAX_VALUE_BYTES} bytes`);
  }
  return {
    ...(meta.name !== undefined ? { name: meta.name as string } : {}),
    ...(meta.labels !== undefined ? { labels: meta.labels as Record<string, string> } : {}),
    ...(meta.annotations !== undefined ? { annotations: meta.annotations as Record<string, string> } : {}),
    ...(meta.resourceVersion !== undefined ? { resourceVersion: meta.resourceVersion as number } : {}),
    ...(spec.kind !== undefined ? { kind: spec.kind as string } : {}),
    ...(spec.value !== undefined ? { value: spec.value as string } : {}),
  };
}

const METADATA = `sluice.dev/secret-value-metadata`;

/** The Secret that stores a secret value (its VVP metadata in an annotation, the value in data). */
export function secretOf(platformNamespace: string, meta: SecretValueMetadata, kind: string, value: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: objectName(meta.namespace, meta.name),
      namespace: platformNamespace,
      labels: { [LABELS.kind]: KIND, [LABELS.vnamespace]: meta.namespace, [LABELS.id]: meta.id },
      annotations: { [METADATA]: JSON.stringify({ ...meta, kind }) },
    },
    type: 'Opaque',
    data: { value: Buffer.from(value, 'utf8').toString('base64') },
  };
}

function storedMetadata(s: V1Secret): SecretValueMetadata & { kind: string } {
  return JSON.parse(s.metadata?.annotations?.[METADATA] ?? '{}') as SecretValueMetadata & { kind: string };
}

/** A secret value as the REST API shows it: never its value. */
export function secretValueView(s: V1Secret) {
  const { kind, ...metadata } = storedMetadata(s);
  return { kind: 'SecretValue' as const, apiVersion: 'v1' as const, metadata, spec: { kind } };
}

const valueOf = (s: V1Secret) => Buffer.from(s.data?.value ?? '', 'base64').toString('utf8');

/** A vNamespace's secret values in the platform namespace. */
export class SecretValueStore {
  constructor(
    readonly kube: Kube,
    readonly namespace: string,
  ) {}

  async list(vns: string): Promise<V1Secret[]> {
    const res = await this.kube.api<V1Secret>(SECRETS).list({
      namespace: this.namespace,
      labelSelector: `${LABELS.kind}=${KIND},${LABELS.vnamespace}=${vns}`,
    });
    return res.items.sort((a, b) => storedMetadata(a).name.localeCompare(storedMetadata(b).name));
  }

  async find(vns: string, name: string): Promise<V1Secret | undefined> {
    try {
      const s = await this.kube.api<V1Secret>(SECRETS).get({ namespace: this.namespace, name: objectName(vns, name) });
      const meta = storedMetadata(s);
      return s.metadata?.labels?.[LABELS.kind] === KIND && meta.namespace === vns && meta.name === name ? s : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async get(vns: string, name: string): Promise<V1Secret> {
    const s = await this.find(vns, name);
    if (!s) throw new NotFound(`secret value ${name} not found in namespace ${vns}`);
    return s;
  }

  async create(vns: string, body: unknown): Promise<V1Secret> {
    const input = parseSecretValueInput(body, vns);
    if (!input.name) throw new BadInput('metadata.name: a secret value needs a name');
    if (input.value === undefined) throw new BadInput('spec.value: a secret value needs a value');
    const t = new Date().toISOString();
    const meta: SecretValueMetadata = {
      id: randomUUID(),
      name: input.name,
      namespace: vns,
      labels: input.labels ?? {},
      annotations: input.annotations ?? {},
      createdAt: t,
      modifiedAt: t,
      resourceVersion: 1,
    };
    try {
      return await this.kube.api<V1Secret>(SECRETS).create({
        namespace: this.namespace,
        body: secretOf(this.namespace, meta, input.kind ?? 'Plain', input.value),
      });
    } catch (err) {
      if (isAlreadyExists(err)) throw new BadInput(`secret value ${input.name} already exists in namespace ${vns}`, 409);
      throw err;
    }
  }

  /** PATCH: metadata labels/annotations and the value may change; the name may not. */
  async patch(vns: string, name: string, body: unknown): Promise<V1Secret> {
    const input = parseSecretValueInput(body, vns);
    if (input.name !== undefined && input.name !== name) throw new BadInput(`metadata.name cannot change (is ${name})`);
    const current = await this.get(vns, name);
    const { kind, ...meta } = storedMetadata(current);
    if (input.resourceVersion !== undefined && input.resourceVersion !== meta.resourceVersion) {
      throw new BadInput(
        `metadata.resourceVersion ${input.resourceVersion} is stale: the current version is ${meta.resourceVersion}; read the secret value again`,
        409,
      );
    }
    const next: SecretValueMetadata = {
      ...meta,
      labels: input.labels ?? meta.labels,
      annotations: input.annotations ?? meta.annotations,
      modifiedAt: new Date().toISOString(),
      resourceVersion: meta.resourceVersion + 1,
    };
    const secret = secretOf(this.namespace, next, input.kind ?? kind, input.value ?? valueOf(current));
    try {
      return await this.kube.api<V1Secret>(SECRETS).replace({
        namespace: this.namespace,
        name: current.metadata!.name!,
        body: { ...secret, metadata: { ...secret.metadata, resourceVersion: current.metadata!.resourceVersion } },
      });
    } catch (err) {
      if (isConflict(err)) throw new BadInput('the secret value was changed concurrently: read it again and retry', 409);
      throw err;
    }
  }

  async delete(vns: string, name: string): Promise<V1Secret> {
    const current = await this.get(vns, name);
    await this.kube.api<V1Secret>(SECRETS).delete({ namespace: this.namespace, name: current.metadata!.name! });
    return current;
  }

  /** The values of the given names that exist (for a job's configuration). */
  async values(vns: string, names: readonly string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const name of names) {
      const s = await this.find(vns, name);
      if (s) out[name] = valueOf(s);
    }
    return out;
  }
}
