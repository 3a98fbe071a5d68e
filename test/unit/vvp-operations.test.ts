import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../functions/api/openapi.js';
import { fixtureText } from '../support/files.js';

type Swagger = { basePath?: string; paths: Record<string, Record<string, unknown>> };
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
/** `/api/v1/namespaces/{namespace}/jobs/{jobId}` and `{ns}/jobs/{id}` are the same operation. */
const shape = (path: string) => path.replace(/\/+/g, '/').replace(/\{[^}]+\}/g, '{}');
const operations = (doc: Swagger) =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((m) => METHODS.includes(m))
      .map((m) => `${m.toUpperCase()} ${shape(`${doc.basePath ?? ''}${path}`)}`),
  );

describe("VVP 2.1's Application Manager and Platform APIs", () => {
  it("has every operation of both in Sluice's OpenAPI document", () => {
    const vvp = ['appmanager-api-swagger.json', 'platform-api-swagger.json'].flatMap((f) =>
      operations(JSON.parse(fixtureText(`vvp-api/${f}`)) as Swagger),
    );
    expect(vvp).toHaveLength(33);
    const sluice = new Set(operations(openApiDocument() as Swagger));
    expect(vvp.filter((op) => !sluice.has(op))).toEqual([]);
  });
});
