/**
 * The two failure kinds a step can report. Everything the caller did wrong is a
 * BadInput (4xx: not retried); everything that may succeed later is Unavailable (5xx:
 * the Broker redelivers). Any other error is a bug, answered 500 without a stack trace.
 */
export class BadInput extends Error {
  constructor(
    message: string,
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 412 | 413 | 415 | 422 = 400,
  ) {
    super(message);
    this.name = 'BadInput';
  }
}

/** The resource asked for does not exist (or is another tenant's): 404. */
export class NotFound extends BadInput {
  constructor(message: string) {
    super(message, 404);
    this.name = 'NotFound';
  }
}

export class Unavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Unavailable';
  }
}

/**
 * The one error body of every 4xx/5xx a client of Sluice's HTTP API sees (VVP's shape:
 * clients read `message`), whichever layer answers: the REST API, an unknown path, a body
 * too large, a bug.
 */
export function errorBody(status: number, message: string): { kind: 'Error'; status: number; message: string } {
  return { kind: 'Error', status, message };
}
