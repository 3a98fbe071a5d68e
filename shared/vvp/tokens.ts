import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API token secrets: 256 random bits, shown once, stored only as a SHA-256 hash (a slow
 * hash buys nothing for random secrets of this size). The Secret that records a token is
 * named after its hash, so resolving a bearer token is one GET, never a list.
 */
export const TOKEN_PREFIX = 'sluice_';

export const generateToken = () => `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;

export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** The Secret recording a token: `apitoken-<first 40 hex of its hash>`. */
export const tokenSecretName = (hash: string) => `apitoken-${hash.slice(0, 40)}`;

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The bearer token of an Authorization header, if well-formed. */
export function bearer(header: string | undefined): string | undefined {
  const m = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}
