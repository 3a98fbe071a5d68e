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

export type { Logger };
