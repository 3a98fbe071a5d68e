import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChild } from '../../shared/log.js';

/** A pino logger writing its lines into `lines`, with the redaction Sluice's has. */
function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ level, base: undefined, timestamp: false, redact: { paths: ['token', '*.token'], censor: '[redacted]' } }, sink);
  return { log, lines };
}

describe('lazyChild', () => {
  it('logs what child() logs: the bindings (redacted), grandchildren and levels', () => {
    const eager = capture('info');
    const lazy = capture('info');
    const bindings = { function: 'applyPatchSet', eventId: 'e-1', auth: { token: 'secret' } };
    for (const log of [eager.log.child(bindings), lazyChild(lazy.log, bindings)]) {
      log.debug({ outcome: 'skipped' }, 'step');
      log.info({ outcome: 'handled' }, 'step');
      log.child({ object: 'team/d' }).warn({ reason: 'conflict' }, 'step failed');
      expect(log.isLevelEnabled('debug')).toBe(false);
    }
    expect(lazy.lines).toEqual(eager.lines);
    expect(lazy.lines).toHaveLength(2);
    expect(lazy.lines[0]).toMatchObject({
      function: 'applyPatchSet',
      eventId: 'e-1',
      auth: { token: '[redacted]' },
      outcome: 'handled',
      msg: 'step',
    });
  });

  it('makes no child for calls of a disabled level', () => {
    const { log, lines } = capture('warn');
    let made = 0;
    const parent = new Proxy(log, {
      get: (t, k) => (k === 'child' ? (b: Record<string, unknown>) => (made++, t.child(b)) : Reflect.get(t, k, t)),
    });
    const child = lazyChild(parent, { eventId: 'e-2' });
    child.debug('duplicate');
    child.info('skipped');
    expect(made).toBe(0);
    child.warn('step failed');
    child.error('again');
    expect(made).toBe(1);
    expect(lines.map((l) => [l.eventId, l.msg])).toEqual([
      ['e-2', 'step failed'],
      ['e-2', 'again'],
    ]);
  });
});
