import { CloudEvent, type CloudEventV1, HTTP, ValidationError } from 'cloudevents';
import { z } from 'zod';
import { BadInput } from './errors.js';

/** CloudEvent types of Knative's ApiServerSource and PingSource. */
export const RESOURCE_EVENT = 'dev.knative.apiserver.resource.';
export const REFERENCE_EVENT = 'dev.knative.apiserver.ref.';
export const PING_EVENT = 'dev.knative.sources.ping';

export const VERBS = ['add', 'update', 'delete'] as const;
export type Verb = (typeof VERBS)[number];

export const objectMetaSchema = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  deletionTimestamp: z.string().optional(),
});

export const kubeObjectSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: objectMetaSchema,
});
export type KubeObject = z.infer<typeof kubeObjectSchema>;

export const objectRefSchema = z.object({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  namespace: z.string().optional(),
  name: z.string().min(1),
});
export type ObjectRef = z.infer<typeof objectRefSchema>;

interface EventBase {
  id: string;
  source: string;
}
/** What a handler sees: one decoded, validated event. */
export type SluiceEvent =
  | (EventBase & { mode: 'resource'; verb: Verb; ref: ObjectRef; object: KubeObject })
  | (EventBase & { mode: 'reference'; verb: Verb; ref: ObjectRef })
  | (EventBase & { mode: 'ping'; data: unknown });

/** An event of a type no function here handles: answered 2xx "not ours", never an error. */
export interface ForeignEvent {
  mode: 'foreign';
  id: string;
  type: string;
}

function dataOf(ce: CloudEventV1<unknown>): unknown {
  const data = ce.data ?? (ce.data_base64 ? Buffer.from(ce.data_base64, 'base64').toString('utf8') : undefined);
  if (typeof data === 'string') {
    try {
      return JSON.parse(data);
    } catch {
      return data;
    }
  }
  if (data instanceof Uint8Array) return dataOf(new CloudEvent({ ...ce, data: Buffer.from(data).toString('utf8') }, false));
  return data;
}

function fieldError(what: string, err: z.ZodError): BadInput {
  const issue = err.issues[0]!;
  const path = issue.path.length ? `.${issue.path.join('.')}` : '';
  return new BadInput(`${what}${path}: ${issue.message}`);
}

/** Turns a CloudEvent into a SluiceEvent, validating the ApiServerSource payload shapes. */
export function fromCloudEvent(ce: CloudEventV1<unknown>): SluiceEvent | ForeignEvent {
  const base = { id: ce.id, source: ce.source };
  if (ce.type === PING_EVENT) return { ...base, mode: 'ping', data: dataOf(ce) };

  const resource = ce.type.startsWith(RESOURCE_EVENT);
  const reference = ce.type.startsWith(REFERENCE_EVENT);
  if (!resource && !reference) return { mode: 'foreign', id: ce.id, type: ce.type };

  const verb = ce.type.slice((resource ? RESOURCE_EVENT : REFERENCE_EVENT).length) as Verb;
  if (!VERBS.includes(verb)) return { mode: 'foreign', id: ce.id, type: ce.type };
  const data = dataOf(ce);

  if (resource) {
    const parsed = kubeObjectSchema.safeParse(data);
    if (!parsed.success) throw fieldError('event data (a Kubernetes object)', parsed.error);
    const object = parsed.data;
    const ref = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: object.metadata.name,
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    };
    return { ...base, mode: 'resource', verb, ref, object };
  }
  const parsed = objectRefSchema.safeParse(data);
  if (!parsed.success) throw fieldError('event data (an object reference)', parsed.error);
  return { ...base, mode: 'reference', verb, ref: parsed.data };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * Decodes a CloudEvent delivered over HTTP in binary or structured mode. The SDK decodes
 * leniently (it invents a missing id, takes any specversion and any time), so those are
 * checked here against what was sent. A structured body is parsed once and handed to the
 * SDK as an object; a binary one whose data is a JSON object is parsed here, not by the SDK.
 */
export function decodeHttpEvent(headers: Record<string, string>, body: string): SluiceEvent | ForeignEvent {
  let event: CloudEventV1<unknown>;
  try {
    const structured = (headers['content-type'] ?? '').startsWith('application/cloudevents+json');
    let sent: { id?: unknown; time?: unknown } = { id: headers['ce-id'], time: headers['ce-time'] };
    let message: { headers: Record<string, string>; body: unknown } = { headers, body };
    let data: unknown;
    if (structured) {
      const parsed: unknown = JSON.parse(body);
      if (parsed === null || typeof parsed !== 'object') throw new ValidationError('a structured-mode body must be a JSON object');
      if (Array.isArray(parsed)) throw new BadInput('batched CloudEvents are not accepted: send one event per request');
      sent = parsed;
      message = { headers, body: parsed };
    } else if (headers['content-type'] === 'application/json' && body.startsWith('{')) {
      // Binary mode with a JSON object as its data (what ApiServerSource sends): parsed here.
      // The SDK's JSON parser gives the same object, but builds two Errors (stack traces and
      // all) on every call, failing or not: the largest part of decoding a duplicate event.
      data = JSON.parse(body);
      message = { headers, body: undefined };
    }
    const decoded = HTTP.toEvent(message) as CloudEvent<unknown> | CloudEvent<unknown>[];
    if (Array.isArray(decoded)) throw new BadInput('batched CloudEvents are not accepted: send one event per request');
    if (typeof sent.id !== 'string' || sent.id === '') throw new ValidationError('missing required attribute: id');
    if (decoded.specversion !== '1.0' && decoded.specversion !== '0.3') {
      throw new ValidationError(`unsupported specversion ${JSON.stringify(decoded.specversion)}: CloudEvents 1.0 (or 0.3) only`);
    }
    if (sent.time !== undefined && (typeof sent.time !== 'string' || !RFC3339.test(sent.time) || Number.isNaN(Date.parse(sent.time)))) {
      throw new ValidationError(`invalid time ${JSON.stringify(sent.time)}: an RFC 3339 timestamp is required`);
    }
    decoded.validate();
    event = data === undefined ? decoded : { ...decoded, data };
  } catch (err) {
    if (err instanceof BadInput) throw err;
    const details = (err as { errors?: unknown[] }).errors;
    const reason = `${(err as Error).message}${Array.isArray(details) && details.length ? `: ${JSON.stringify(details)}` : ''}`;
    throw new BadInput(`not a valid CloudEvent (binary or structured mode): ${reason}`);
  }
  return fromCloudEvent(event);
}

/**
 * Builds the CloudEvent ApiServerSource would send for an object change. Its subject is the
 * one Knative's receive adapter writes: `/apis/<apiVersion>/namespaces/<ns>/<plural>/<name>`,
 * `/apis/` also for the core group (`/apis/v1/namespaces/team/pods/p`), and the namespace
 * segment even when empty, for a cluster-scoped object.
 */
export function apiServerEvent(opts: {
  verb: Verb;
  object: KubeObject;
  mode: 'resource' | 'reference';
  source: string;
  resource: string;
}): CloudEvent<unknown> {
  const { object, verb, mode } = opts;
  const ns = object.metadata.namespace;
  const subject = `/apis/${object.apiVersion}/namespaces/${ns ?? ''}/${opts.resource}/${object.metadata.name}`;
  const data =
    mode === 'resource' ? object : { kind: object.kind, namespace: ns, name: object.metadata.name, apiVersion: object.apiVersion };
  return new CloudEvent<unknown>(
    {
      type: `${mode === 'resource' ? RESOURCE_EVENT : REFERENCE_EVENT}${verb}`,
      source: opts.source,
      subject,
      datacontenttype: 'application/json',
      data,
      kind: object.kind,
      apiversion: object.apiVersion,
      name: object.metadata.name,
      ...(ns ? { namespace: ns } : {}),
    },
    false,
  );
}
