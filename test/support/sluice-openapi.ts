import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { openApiDocument } from '../../functions/api/openapi.js';

/**
 * Validation of answers against Sluice's own OpenAPI document (functions/api/openapi.ts), so
 * that the document cannot drift from what the REST API answers and accepts.
 */
type Parameter = { name: string; in: string };
type OperationObject = { parameters?: Parameter[]; responses: Record<string, { content?: Record<string, { schema: object }> }> };
type PathItem = Record<string, OperationObject> & { parameters?: Parameter[] };
const doc = openApiDocument() as { paths: Record<string, PathItem>; components: object };

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
ajv.addSchema({ $id: 'sluice', components: doc.components });

const templates = Object.keys(doc.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));
const cache = new Map<string, ValidateFunction>();

/**
 * Problems of an answer as Sluice's OpenAPI document describes the operation (`method` on the
 * concrete `path`): the operation and the status it answered must be documented, the body
 * must match that status's schema, and every query parameter sent must be declared.
 */
export function sluiceApiProblems(method: string, path: string, query: string[], status: number, body: unknown): string[] {
  const template = templates.find((t) => t.pattern.test(path))?.template;
  const item = template ? doc.paths[template] : undefined;
  const op = item?.[method.toLowerCase()];
  if (!template || !item || !op) return [`no operation ${method} ${path}`];
  const declared = new Set([...(item.parameters ?? []), ...(op.parameters ?? [])].filter((p) => p.in === 'query').map((p) => p.name));
  const problems = query.filter((q) => !declared.has(q)).map((q) => `${method} ${template}: query parameter ${q} not declared`);
  const schema = op.responses[String(status)]?.content?.['application/json']?.schema;
  if (!schema) return [...problems, `${method} ${template}: no ${status} answer declared`];
  const key = `${method} ${template} ${status}`;
  let validate = cache.get(key);
  if (!validate) {
    validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"sluice#/components/')) as object);
    cache.set(key, validate);
  }
  if (!validate(body)) problems.push(...(validate.errors ?? []).map((e) => `${key}: ${e.instancePath || '/'} ${e.message}`));
  return problems;
}
