import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import type { Schema } from '../../shared/model/structural.js';
import { exampleText, fixtureText } from '../support/files.js';

/** A file of `examples/` (or of `test/fixtures/`), parsed. */
export const example = (name: string): Record<string, unknown> => parse(exampleText(name)) as Record<string, unknown>;
export const fixture = (name: string): Record<string, unknown> => parse(fixtureText(name)) as Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i;

/**
 * An Ajv that validates like kube-apiserver's OpenAPI validator does for what our schemas
 * use: the formats uuid, date-time, int32, double; `x-kubernetes-*` extensions ignored.
 */
export function apiServerLikeAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('uuid', UUID);
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)) });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  return ajv;
}

/** OpenAPI 3.0's boolean exclusiveMinimum/Maximum as draft-07's numbers, for Ajv. */
function forAjv(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(forAjv);
  if (!s || typeof s !== 'object') return s;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if ((k === 'exclusiveMinimum' || k === 'exclusiveMaximum') && typeof v === 'boolean') continue;
    out[k] = k === 'enum' || k === 'required' ? v : forAjv(v);
  }
  const src = s as Record<string, unknown>;
  if (src.exclusiveMinimum === true) out.exclusiveMinimum = src.minimum;
  if (src.exclusiveMaximum === true) out.exclusiveMaximum = src.maximum;
  if (src.exclusiveMinimum === true) delete out.minimum;
  if (src.exclusiveMaximum === true) delete out.maximum;
  return out;
}

export function compile(schema: Schema): ValidateFunction {
  return apiServerLikeAjv().compile(forAjv(schema) as Schema);
}

/** Ajv's errors in one line, for assertion messages. */
export function ajvErrors(v: ValidateFunction): string {
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('; ');
}

/**
 * What kube-apiserver keeps of an object under a structural schema: unknown fields are
 * pruned unless `x-kubernetes-preserve-unknown-fields` is set. (A model of
 * apiextensions-apiserver's pruning, for checking that nothing Sluice writes is lost.)
 */
export function prune(value: unknown, schema: Schema | undefined, root = true): unknown {
  if (!schema || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => prune(v, schema.items as Schema | undefined, false));
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
  const additional = schema.additionalProperties as Schema | undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // The envelope (apiVersion, kind, ObjectMeta) is the API server's own, never pruned by the schema.
    if (root && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) out[k] = v;
    else if (props[k]) out[k] = prune(v, props[k], false);
    else if (additional) out[k] = prune(v, additional, false);
    else if (preserve) out[k] = v;
  }
  return out;
}
