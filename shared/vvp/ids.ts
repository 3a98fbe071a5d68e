import { createHash } from 'node:crypto';

/** RFC 4122 version-5 (name-based, SHA-1) UUID. */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Sluice's own UUID namespace for derived ids. */
const SLUICE_NS = '6b1f7c1e-3c52-4d0e-9a57-1d2f6f1f5a10';

/**
 * A Job's id follows from the Deployment and the start it belongs to, so a redelivered or
 * concurrently handled event names the same Job and the API server refuses a second one.
 */
export const jobIdFor = (deploymentUid: string, seq: number, attempt: number) =>
  uuidV5(`job/${deploymentUid}/${seq}/${attempt}`, SLUICE_NS);

/** Stable hash of a JSON value (object keys sorted), for detecting template changes. */
export function stableHash(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex')
    .slice(0, 16);
}
