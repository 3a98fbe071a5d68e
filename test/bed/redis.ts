import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { freePort } from '../../shared/local/ports.js';
import { type Daemon, requireCommand, spawnDaemon, waitFor } from '../../shared/local/process.js';

export interface TestRedis {
  url: string;
  port: number;
  /** Current process id (changes on restart). */
  readonly pid: number;
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is persisted), for outage tests. */
  restart(): Promise<void>;
}

/** Debian's redis-server on a free loopback port, in memory only. */
export async function startRedis(dir: string): Promise<TestRedis> {
  const bin = requireCommand('redis-server', 'redis-server');
  const workDir = resolve(dir);
  mkdirSync(workDir, { recursive: true });
  const port = await freePort();
  let daemon: Daemon | undefined;

  const start = async () => {
    const d = spawnDaemon(
      'redis-server',
      bin,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        workDir,
        '--daemonize',
        'no',
        '--logfile',
        '',
      ],
      join(workDir, `redis-${port}.log`),
    );
    daemon = d;
    await waitFor('redis-server', async () => ((await ping(port)) ? true : undefined), { watch: [d], intervalMs: 50, timeoutMs: 20_000 });
  };
  await start();

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return daemon?.pid ?? -1;
    },
    stop: async () => daemon?.stop(),
    restart: async () => {
      await daemon?.stop();
      await start();
    },
  };
}

/** One PING over a raw socket: ioredis would retry and hide the outcome. */
function ping(port: number): Promise<boolean> {
  return new Promise((res) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(1000);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      res(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => res(false));
    socket.once('timeout', () => {
      socket.destroy();
      res(false);
    });
  });
}
