import type { Context, MiddlewareHandler } from 'hono';
import { accepts } from 'hono/accepts';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { YAMLParseError, parse as parseYaml, stringify as toYaml } from 'yaml';
import { apiMessage, isUnavailable, statusCode } from '../../shared/kube/client.js';
import { BadInput, Unavailable, errorBody } from '../../shared/runtime/errors.js';
import { checkNesting } from '../../shared/vvp/input.js';

/** The largest request body accepted: a Deployment with pod templates is a few KiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

export const limitBody: MiddlewareHandler = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: (c) => {
    // The rest of the body is never read: the connection cannot be reused.
    c.header('Connection', 'close');
    throw new BadInput(`request body exceeds ${MAX_BODY_BYTES} bytes`, 413);
  },
});

/** Reads a JSON or YAML body (by Content-Type; YAML parses JSON too), refusing anything else clearly. */
export async function readBody(c: Context): Promise<unknown> {
  const body = await parseBody(c);
  checkNesting(body);
  return body;
}

async function parseBody(c: Context): Promise<unknown> {
  const type = (c.req.header('content-type') ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  const text = await c.req.text();
  if (text.trim() === '') throw new BadInput('request body is empty: send a JSON or YAML object');
  if (type === 'application/json') {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new BadInput(`invalid JSON body: ${(err as Error).message}`);
    }
  }
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') {
    try {
      // One document, no custom tags, bounded alias expansion: YAML bombs are refused.
      return parseYaml(text, { maxAliasCount: 100, strict: true, uniqueKeys: true });
    } catch (err) {
      const msg = err instanceof YAMLParseError ? err.message.split('\n')[0] : (err as Error).message;
      throw new BadInput(`invalid YAML body: ${msg}`);
    }
  }
  throw new BadInput(`unsupported Content-Type ${type}: use application/json or application/yaml`, 415);
}

const MEDIA_TYPES = ['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml'];

/**
 * Answers JSON, or YAML when the client prefers it: the Accept header is negotiated with its
 * q-values (`application/yaml;q=0.5, application/json;q=0.9` is JSON); JSON when nothing
 * offered is served.
 */
export function respond(c: Context, body: unknown, status: ContentfulStatusCode = 200): Response {
  const chosen = accepts(c, { header: 'Accept', supports: MEDIA_TYPES, default: 'application/json' });
  if (chosen !== 'application/json') return c.body(toYaml(body), status, { 'content-type': 'application/yaml; charset=utf-8' });
  return c.json(body as object, status);
}

/** Maps every failure to a clear status: 4xx for the caller's mistakes, 503 to retry, 500 for bugs. */
export function toErrorResponse(err: unknown, c: Context): Response {
  if (err instanceof BadInput) return respond(c, errorBody(err.status, err.message), err.status);
  if (err instanceof Unavailable || isUnavailable(err)) {
    return respond(c, errorBody(503, `temporarily unavailable, retry: ${apiMessage(err)}`), 503);
  }
  // A Conflict, or an AlreadyExists a handler did not expect: either way another writer came between.
  if (statusCode(err) === 409) return respond(c, errorBody(409, 'the resource was changed concurrently: read it again and retry'), 409);
  return respond(c, errorBody(500, `internal error: ${apiMessage(err)}`), 500);
}
