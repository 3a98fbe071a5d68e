/**
 * The duplicate benchmark's yardstick: a bare node:http server that answers each request,
 * after reading its body, with what one ioredis EVALSHA returned, the least a process can do
 * per duplicate event. The script is the shape of Sluice's own (an EXISTS on a record that is
 * there, so no lock is taken); the client is configured as Sluice's (auto-pipelining). What a
 * function does beyond this is its own overhead.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 PORT=8080 node --import tsx bench/redis-yardstick.ts
 */
import { createServer } from 'node:http';
import { Redis } from 'ioredis';

const SCRIPT = `if redis.call('exists', KEYS[2]) == 1 then return 0 end
if redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 1 end
return -1`;

type Scripted = Redis & { begin(lock: string, done: string, token: string, ttl: number): Promise<number> };

const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1, enableAutoPipelining: true }) as Scripted;
redis.defineCommand('begin', { numberOfKeys: 2, lua: SCRIPT });
await redis.set('yardstick:done', '1');

createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    redis.begin('yardstick:lock', 'yardstick:done', 'token', 30_000).then(
      (r) => {
        res.writeHead(200, { 'sluice-outcome': r === 0 ? 'skipped' : 'handled', 'sluice-reason': 'duplicate' });
        res.end();
      },
      (err: unknown) => {
        res.writeHead(503);
        res.end(String(err));
      },
    );
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
