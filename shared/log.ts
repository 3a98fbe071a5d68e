import { pino, type Logger } from 'pino';

/**
 * JSON logs. Anything named like a credential is redacted at the logger, so a token can
 * never reach a log line even when a whole object is logged by mistake.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service: 'sluice' },
    redact: {
      paths: [
        'token',
        'secret',
        'apikey',
        'authorization',
        '*.token',
        '*.secret',
        '*.apikey',
        '*.authorization',
        'headers.authorization',
        'req.headers.authorization',
      ],
      censor: '[redacted]',
    },
  });
}

const LEVELS: ReadonlySet<string> = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/**
 * `parent.child(bindings)`, made when it is first used. pino serializes a child's bindings
 * (through the redaction) when the child is made, and most events, a duplicate delivery above
 * all, log nothing at the configured level: a call of a disabled level makes no child.
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  let child: Logger | undefined;
  const made = () => (child ??= parent.child(bindings));
  const disabled = () => {};
  return new Proxy(parent, {
    get(_target, key) {
      if (!child && typeof key === 'string' && LEVELS.has(key) && !parent.isLevelEnabled(key)) return disabled;
      const c = made();
      const value: unknown = Reflect.get(c, key, c);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(c) : value;
    },
    set: (_target, key, value) => Reflect.set(made(), key, value),
  });
}

export type { Logger };
