/**
 * JSON Schema → Kubernetes *structural* OpenAPI v3 schema (apiextensions.k8s.io/v1, as
 * kube-apiserver accepts it), and a checker for the rules.
 *
 * The rules (k8s.io/apiextensions-apiserver/pkg/apiserver/schema, validation.go):
 * - every node named by `properties`, `items` or `additionalProperties` has a `type`, unless it
 *   has `x-kubernetes-preserve-unknown-fields: true` or `x-kubernetes-int-or-string: true`;
 * - no `$ref`, `$schema`, `id`, `definitions`, `dependencies`, `patternProperties`,
 *   `additionalItems`, `uniqueItems: true`, `type: null` or a list of types; `items` is one schema;
 * - `properties` and `additionalProperties` are mutually exclusive; `additionalProperties`
 *   is a schema, never a boolean;
 * - inside `allOf`/`anyOf`/`oneOf`/`not` only value validations: no `type`, `description`,
 *   `default`, `nullable`, `additionalProperties` or `x-kubernetes-*`, and every property
 *   named there is also declared outside at the same level;
 * - at the root, `metadata` may only restrict `name` and `generateName`.
 * Keywords that OpenAPI's JSONSchemaProps does not have (`const`, `propertyNames`,
 * `$defs`, `examples`, ...) would be silently dropped by the API server: they are rewritten
 * (`const` → `enum`) or removed here, and refused by the checker.
 * Patterns must be RE2 (Go regexp): no lookaround, no backreferences.
 */

export type Schema = { [key: string]: unknown };

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
const INT_OR_STRING = 'x-kubernetes-int-or-string';

/** Keywords structural schemas allow, and where their values are schemas. */
const ALLOWED = new Set([
  'type',
  'format',
  'title',
  'description',
  'default',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'enum',
  'maxProperties',
  'minProperties',
  'required',
  'items',
  'allOf',
  'oneOf',
  'anyOf',
  'not',
  'properties',
  'additionalProperties',
  'nullable',
  'example',
  'externalDocs',
  PRESERVE,
  INT_OR_STRING,
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
]);
/** Dropped silently by the converter: annotations that carry no validation. */
const DROP = new Set([
  '$schema',
  '$id',
  'id',
  '$comment',
  'examples',
  'readOnly',
  'writeOnly',
  'deprecated',
  'propertyNames',
  'contentEncoding',
  'contentMediaType',
]);
const JUNCTORS = ['allOf', 'anyOf', 'oneOf'] as const;
/** Not allowed inside a junctor branch. */
const JUNCTOR_FORBIDDEN = ['type', 'description', 'default', 'nullable', 'additionalProperties', 'title'];

const isObject = (v: unknown): v is Schema => !!v && typeof v === 'object' && !Array.isArray(v);
const isEmptySchema = (v: unknown) => v === true || (isObject(v) && Object.keys(v).length === 0);

/** Why a regular expression is not RE2 syntax, or undefined. */
export function re2Problem(pattern: string): string | undefined {
  if (/\(\?[=!]|\(\?<[=!]/.test(pattern)) return 'lookaround is not supported by RE2';
  if (/(^|[^\\])\\[1-9]/.test(pattern)) return 'backreferences are not supported by RE2';
  if (/(^|[^\\])\\u[0-9a-fA-F{]/.test(pattern)) return 'RE2 has no \\u escapes: write \\x{...}';
  if (/\(\?<[A-Za-z]/.test(pattern)) return 'named groups must be written (?P<name>...) in Go before 1.22';
  try {
    new RegExp(pattern, 'u');
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

export class StructuralSchemaError extends Error {}

/**
 * Converts a JSON Schema (as `z.toJSONSchema(..., {target: 'openapi-3.0'})` or a hand-written
 * draft-04/07 schema gives it) to a structural schema. Free-form parts (an empty schema,
 * `additionalProperties: {}` or `true`, an object without properties) become
 * `x-kubernetes-preserve-unknown-fields: true`. Throws for what cannot be expressed
 * (a `$ref`, a union of different types).
 */
export function toStructural(schema: Schema, path = ''): Schema {
  const out = convert(schema, path || '<root>', false);
  // The root's metadata is the ObjectMeta: the API server knows its fields and forbids more.
  const metadata = (out.properties as Schema | undefined)?.metadata as Schema | undefined;
  if (!path && metadata) delete metadata[PRESERVE];
  return out;
}

function convert(given: Schema, path: string, inJunctor: boolean): Schema {
  if (isEmptySchema(given)) return inJunctor ? {} : { [PRESERVE]: true };
  const input = inJunctor ? given : liftJunctorProperties(given, path);
  const out: Schema = {};
  for (const [k, v] of Object.entries(input)) {
    if (DROP.has(k)) continue;
    switch (k) {
      case '$ref':
      case '$defs':
      case 'definitions':
        throw new StructuralSchemaError(`${path}: ${k} cannot be expressed in a structural schema; generate schemas inline`);
      case 'const':
        out.enum = [v];
        break;
      case 'type':
        if (Array.isArray(v)) {
          const types = v.filter((t) => t !== 'null');
          if (types.length !== 1) throw new StructuralSchemaError(`${path}: a value of several types (${v.join(', ')}) is not structural`);
          out.type = types[0];
          if (types.length !== v.length) out.nullable = true;
        } else if (v === 'null') {
          throw new StructuralSchemaError(`${path}: type null is not structural; use nullable`);
        } else out.type = v;
        break;
      case 'properties': {
        const props: Schema = {};
        for (const [name, sub] of Object.entries(v as Schema)) props[name] = convert(sub as Schema, `${path}.${name}`, inJunctor);
        out.properties = props;
        break;
      }
      case 'items':
        if (Array.isArray(v)) throw new StructuralSchemaError(`${path}: tuple items are not structural`);
        out.items = convert(v as Schema, `${path}[]`, inJunctor);
        break;
      case 'additionalProperties':
        if (v === false) break; // strictness is enforced by Sluice's own validation; the API server prunes instead
        if (isEmptySchema(v)) {
          if (!inJunctor) out[PRESERVE] = true;
        } else out.additionalProperties = convert(v as Schema, `${path}.*`, inJunctor);
        break;
      case 'not':
        out.not = convert(v as Schema, `${path}(not)`, true);
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        out[k] = (v as Schema[]).map((b, i) => convert(b, `${path}(${k}[${i}])`, true));
        break;
      case 'pattern':
        out.pattern = v;
        break;
      case 'uniqueItems':
        if (v === true) throw new StructuralSchemaError(`${path}: uniqueItems: true is not allowed; use x-kubernetes-list-type: set`);
        break;
      default:
        if (!ALLOWED.has(k)) throw new StructuralSchemaError(`${path}: keyword ${k} is not supported in a structural schema`);
        out[k] = v;
    }
  }
  // A format says what a pattern would (and zod's date-time regex is not RE2): keep the format.
  if (out.format !== undefined && out.pattern !== undefined) delete out.pattern;
  if (typeof out.pattern === 'string') {
    const problem = re2Problem(out.pattern);
    if (problem) throw new StructuralSchemaError(`${path}: pattern ${out.pattern}: ${problem}`);
  }
  if (out.type === 'integer' && out.format === undefined && typeof out.minimum === 'number' && typeof out.maximum === 'number') {
    if (out.minimum >= -2147483648 && out.maximum <= 2147483647) out.format = 'int32';
  }
  if (out.properties && out.additionalProperties) {
    // A typed map with named keys cannot be said structurally: keep the names, keep the rest.
    delete out.additionalProperties;
    out[PRESERVE] = true;
  }
  if (!inJunctor && out.type === 'object' && !out.properties && !out.additionalProperties) out[PRESERVE] = true;
  if (inJunctor) for (const k of JUNCTOR_FORBIDDEN) delete out[k];
  return out;
}

/**
 * A copy of a (not yet converted) node in which every property a junctor branch names is
 * also declared outside, as the structural rules require, typed as in the branch.
 */
function liftJunctorProperties(node: Schema, path: string): Schema {
  if (!JUNCTORS.some((j) => node[j])) return node;
  const props: Schema = { ...((node.properties as Schema | undefined) ?? {}) };
  for (const j of JUNCTORS) {
    for (const branch of (node[j] as Schema[] | undefined) ?? []) {
      for (const [name, sub] of Object.entries((branch.properties as Schema | undefined) ?? {})) {
        if (props[name]) continue;
        const declared = { ...(sub as Schema) };
        delete declared.enum; // the branch keeps its own restriction
        if (declared.type === undefined) throw new StructuralSchemaError(`${path}.${name}: declared only inside ${j}, without a type`);
        props[name] = declared;
      }
      for (const name of (branch.required as string[] | undefined) ?? []) {
        if (!props[name] && node.additionalProperties === undefined) {
          throw new StructuralSchemaError(`${path}: ${j} requires ${name}, which is not declared in properties`);
        }
      }
    }
  }
  return { ...node, properties: props };
}

/**
 * Every violation of the structural-schema rules (see the top of this file) in a schema
 * meant for a CRD's `openAPIV3Schema`; empty if it would be accepted.
 */
export function structuralProblems(schema: Schema): string[] {
  const problems: string[] = [];
  check(schema, '<root>', { root: true, junctor: false, typed: true }, problems);
  const metadata = (schema.properties as Schema | undefined)?.metadata as Schema | undefined;
  if (metadata) {
    if (metadata.type !== 'object') problems.push('<root>.metadata: must be type object');
    for (const k of Object.keys((metadata.properties as Schema | undefined) ?? {})) {
      if (k !== 'name' && k !== 'generateName') problems.push(`<root>.metadata.${k}: only name and generateName may be restricted`);
    }
    for (const k of Object.keys(metadata)) {
      if (!['type', 'properties', 'description'].includes(k)) problems.push(`<root>.metadata: ${k} is not allowed`);
    }
  }
  if (schema.type !== 'object') problems.push('<root>: must be type object');
  return problems;
}

function check(node: unknown, path: string, ctx: { root: boolean; junctor: boolean; typed: boolean }, problems: string[]): void {
  if (!isObject(node)) {
    problems.push(`${path}: a schema must be an object, not ${JSON.stringify(node)}`);
    return;
  }
  for (const k of Object.keys(node)) {
    if (!ALLOWED.has(k)) problems.push(`${path}: keyword ${k} is not allowed`);
  }
  const preserve = node[PRESERVE] === true;
  if (node[PRESERVE] !== undefined && node[PRESERVE] !== true) problems.push(`${path}: ${PRESERVE} must be true if set`);
  if (ctx.junctor) {
    for (const k of JUNCTOR_FORBIDDEN) if (k in node) problems.push(`${path}: ${k} is not allowed inside allOf/anyOf/oneOf/not`);
    for (const k of Object.keys(node))
      if (k.startsWith('x-kubernetes-')) problems.push(`${path}: ${k} is not allowed inside allOf/anyOf/oneOf/not`);
  } else if (ctx.typed) {
    const t = node.type;
    if (t === undefined && !preserve && node[INT_OR_STRING] !== true) problems.push(`${path}: type must be specified`);
  }
  if (node.type !== undefined && !['object', 'array', 'string', 'integer', 'number', 'boolean'].includes(node.type as string)) {
    problems.push(`${path}: type ${JSON.stringify(node.type)} is not allowed`);
  }
  if (node.nullable !== undefined && typeof node.nullable !== 'boolean') problems.push(`${path}: nullable must be a boolean`);
  if (node.uniqueItems === true) problems.push(`${path}: uniqueItems must not be true`);
  for (const k of ['exclusiveMinimum', 'exclusiveMaximum']) {
    if (node[k] !== undefined && typeof node[k] !== 'boolean') problems.push(`${path}: ${k} must be a boolean in OpenAPI v3.0`);
  }
  if (typeof node.pattern === 'string') {
    const problem = re2Problem(node.pattern);
    if (problem) problems.push(`${path}: pattern: ${problem}`);
  }
  if (node.enum !== undefined && !Array.isArray(node.enum)) problems.push(`${path}: enum must be a list`);
  if ('additionalProperties' in node) {
    if (typeof node.additionalProperties === 'boolean') problems.push(`${path}: additionalProperties must be a schema, not a boolean`);
    if (node.properties) problems.push(`${path}: properties and additionalProperties are mutually exclusive`);
  }
  if (!ctx.junctor && node.type === 'object' && !node.properties && !node.additionalProperties && !preserve) {
    problems.push(`${path}: an object needs properties, additionalProperties or ${PRESERVE}: true (its content would be pruned)`);
  }
  if (!ctx.junctor && node.type === 'array' && node.items === undefined) problems.push(`${path}: an array needs items`);
  if (Array.isArray(node.items)) problems.push(`${path}: items must be one schema`);

  const sub = { root: false, junctor: ctx.junctor, typed: true };
  for (const [name, s] of Object.entries((node.properties as Schema | undefined) ?? {})) {
    // The root's metadata is the object's ObjectMeta, validated by the API server itself.
    if (ctx.root && name === 'metadata') continue;
    check(s, `${path}.${name}`, sub, problems);
  }
  if (isObject(node.items)) check(node.items, `${path}[]`, sub, problems);
  if (isObject(node.additionalProperties)) check(node.additionalProperties, `${path}.*`, sub, problems);
  if (node.not !== undefined) check(node.not, `${path}(not)`, { root: false, junctor: true, typed: false }, problems);
  for (const j of JUNCTORS) {
    const branches = node[j];
    if (branches === undefined) continue;
    if (!Array.isArray(branches)) {
      problems.push(`${path}: ${j} must be a list`);
      continue;
    }
    branches.forEach((b: unknown, i) => {
      check(b, `${path}(${j}[${i}])`, { root: false, junctor: true, typed: false }, problems);
      checkJunctorFields(b, node, `${path}(${j}[${i}])`, problems);
    });
  }
}

/** Every property (and item) a junctor branch names must be declared outside it, at the same level. */
function checkJunctorFields(branch: unknown, outer: Schema, path: string, problems: string[]): void {
  if (!isObject(branch)) return;
  const outerProps = (outer.properties as Schema | undefined) ?? {};
  const outerAdditional = isObject(outer.additionalProperties) ? outer.additionalProperties : undefined;
  for (const [name, s] of Object.entries((branch.properties as Schema | undefined) ?? {})) {
    const declared = (outerProps[name] as Schema | undefined) ?? outerAdditional;
    if (!declared) problems.push(`${path}.${name}: not declared outside the junctor`);
    else checkJunctorFields(s, declared, `${path}.${name}`, problems);
  }
  for (const name of (branch.required as string[] | undefined) ?? []) {
    if (!(name in outerProps) && !outerAdditional && outer[PRESERVE] !== true)
      problems.push(`${path}: requires ${name}, not declared outside the junctor`);
  }
  if (isObject(branch.items)) {
    if (!isObject(outer.items)) problems.push(`${path}[]: items not declared outside the junctor`);
    else checkJunctorFields(branch.items, outer.items, `${path}[]`, problems);
  }
}
