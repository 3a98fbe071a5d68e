import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { continueAfterExpiry, isAlreadyExists, isConflict, isNotFound, isNotServed, isUnavailable } from '../../shared/kube/client.js';

/** A failed call as client-node 1.x raises it: the API server's Status, as the JSON text it sent. */
function failed(code: number, status: Record<string, unknown> | string): ApiException<unknown> {
  const body =
    typeof status === 'string'
      ? status
      : JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, ...status });
  return new ApiException(code, 'Unknown API Status Code!', body, { 'content-type': 'application/json' });
}

const alreadyExists = failed(409, {
  reason: 'AlreadyExists',
  message: 'flinkdeployments.sluice.dev "team.orders-1a2b3c4d" already exists',
  details: { name: 'team.orders-1a2b3c4d', group: 'sluice.dev', kind: 'flinkdeployments' },
});
const conflict = failed(409, {
  reason: 'Conflict',
  message:
    'Operation cannot be fulfilled on flinkdeployments.sluice.dev "team.orders-1a2b3c4d": the object has been modified; please apply your changes to the latest version and try again',
  details: { name: 'team.orders-1a2b3c4d', group: 'sluice.dev', kind: 'flinkdeployments' },
});
const notFound = failed(404, { reason: 'NotFound', message: 'flinkdeployments.sluice.dev "team.orders-1a2b3c4d" not found' });

describe('Kubernetes API errors', () => {
  it('a create whose name is taken is AlreadyExists, not a Conflict', () => {
    expect(isAlreadyExists(alreadyExists)).toBe(true);
    expect(isConflict(alreadyExists)).toBe(false);
  });

  it('a write on a stale resourceVersion is a Conflict, not AlreadyExists', () => {
    expect(isConflict(conflict)).toBe(true);
    expect(isAlreadyExists(conflict)).toBe(false);
  });

  it('a 409 whose Status names no reason is a Conflict (to read again and retry)', () => {
    expect(isConflict(failed(409, { message: 'conflict' }))).toBe(true);
    expect(isAlreadyExists(failed(409, { message: 'conflict' }))).toBe(false);
  });

  it('other statuses are neither', () => {
    for (const err of [
      notFound,
      failed(422, { reason: 'Invalid' }),
      failed(500, { reason: 'InternalError' }),
      new Error('socket hang up'),
    ]) {
      expect(isConflict(err)).toBe(false);
      expect(isAlreadyExists(err)).toBe(false);
    }
  });

  it('a 404 with a Status is not found; a bare "404 page not found" is a path not served yet, to retry', () => {
    const notServed = failed(404, '404 page not found\n');
    expect(isNotFound(notFound)).toBe(true);
    expect(isNotServed(notFound)).toBe(false);
    expect(isNotFound(notServed)).toBe(false);
    expect(isNotServed(notServed)).toBe(true);
    expect(isUnavailable(notServed)).toBe(true);
  });

  it('an expired continue token goes on with the token its 410 offers; nothing else does', () => {
    // As kube-apiserver 1.34 answered a resync of 10,000 objects that outlasted a compaction.
    const expired = failed(410, {
      metadata: { continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTEsInN0YXJ0Ijoic2NhbGUtNDEyLmQtOS0zNzA2MzliZVx1MDAwMCJ9' },
      reason: 'Expired',
      message: 'The provided continue parameter is too old to display a consistent list result.',
    });
    expect(continueAfterExpiry(expired)).toBe(
      'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTEsInN0YXJ0Ijoic2NhbGUtNDEyLmQtOS0zNzA2MzliZVx1MDAwMCJ9',
    );
    expect(continueAfterExpiry(failed(410, { reason: 'Expired', message: 'too old resource version' }))).toBeUndefined();
    expect(continueAfterExpiry(notFound)).toBeUndefined();
    expect(continueAfterExpiry(new Error('socket hang up'))).toBeUndefined();
  });
});
