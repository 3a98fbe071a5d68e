import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';

/**
 * A stand-in for one Flink JobManager's REST API, for the local cluster and the tests: the
 * pod simulator starts one per JobManager pod, bound to the pod's (loopback) IP on port
 * 8081. It runs exactly one job, `jobId` (Flink's 32-hex id), and speaks the endpoints
 * Sluice uses:
 *
 *   GET  /  (a page in place of Flink's web UI, titled as Flink's is)
 *   GET  /overview, /jobs, /jobs/overview, /jobs/{jobId} (with its vertices)
 *   GET  /jobs/{jobId}/exceptions  (exceptionHistory, as Flink 1.x and 2.x answer it)
 *   GET  /jobs/{jobId}/metrics?get=numRestarts
 *   PATCH /jobs/{jobId}?mode=cancel → 202; the job CANCELLING, then CANCELED
 *   POST /jobs/{jobId}/stop        {targetDirectory, drain, triggerId?} → 202 {"request-id"}
 *   POST /jobs/{jobId}/savepoints  {target-directory, cancel-job, triggerId?} → 202 {"request-id"}
 *   GET  /jobs/{jobId}/savepoints/{triggerId}
 *
 * A savepoint completes after `delayMs` at `<targetDirectory>/savepoint-<6 hex of the job>-<12 random hex>`;
 * a stop then moves the job to FINISHED, and once that result was read calls `onStopped` (the
 * simulator makes the pod Succeeded, as a real JobManager exits once its stopped job's
 * savepoint result was fetched). What happens to a trigger is
 * decided when it arrives, by `behaviour()`: `ok`, `fail` (completes with a failure cause, the
 * job keeps running) or `stall` (stays IN_PROGRESS for ever). A repeated `triggerId` answers
 * the same operation (Flink ≥ 1.15's idempotent triggers).
 */

export type SavepointBehaviour = 'ok' | 'fail' | 'stall';

export interface TriggerRecord {
  triggerId: string;
  kind: 'stop' | 'savepoint';
  targetDirectory?: string;
  at: string;
}

export interface FlinkStandInOptions {
  host: string;
  /** Default 8081; 0 picks a free port. */
  port?: number;
  /** Flink's 32-hex job id. */
  jobId: string;
  behaviour?: () => SavepointBehaviour;
  /** How long a savepoint takes (ms); read per trigger. */
  delayMs?: () => number;
  /** Told about every new savepoint operation (the simulator records it as a Kubernetes Event). */
  onTrigger?: (t: TriggerRecord) => void;
  /** Called once when the result of a completed stop-with-savepoint was read (the job has FINISHED). */
  onStopped?: (location: string) => void;
}

export interface FlinkStandIn {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly triggers: readonly TriggerRecord[];
  close(): Promise<void>;
}

type Operation =
  | { status: 'IN_PROGRESS' }
  | { status: 'COMPLETED'; location: string; stops?: boolean }
  | { status: 'COMPLETED'; failure: { class: string; 'stack-trace': string } };

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const notFound = (res: ServerResponse, message: string) => json(res, 404, { errors: [message] });

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  const parsed = JSON.parse(text) as unknown;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** Binds the stand-in; rejects (e.g. EADDRINUSE) when the address cannot be used. */
export async function startFlinkStandIn(opts: FlinkStandInOptions): Promise<FlinkStandIn> {
  const port = opts.port ?? 8081;
  const startTime = Date.now();
  let state: 'RUNNING' | 'FINISHED' | 'CANCELLING' | 'CANCELED' = 'RUNNING';
  let stopping = false;
  let closed = false;
  let exited = false;
  const operations = new Map<string, Operation>();
  const triggers: TriggerRecord[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const overview = () => ({
    jid: opts.jobId,
    name: 'sluice-standin',
    state,
    'start-time': startTime,
    'end-time': state === 'FINISHED' || state === 'CANCELED' ? Date.now() : -1,
    duration: Date.now() - startTime,
    isStoppable: false,
    now: Date.now(),
    vertices: [
      { id: opts.jobId.slice(0, 32), name: 'Source: sluice-standin', parallelism: 1, status: state === 'CANCELED' ? 'CANCELED' : state },
    ],
  });

  /** A job in /jobs/overview: no vertices, its tasks counted by state. */
  const summary = () => {
    const { jid, name, 'start-time': start, 'end-time': end, duration, vertices } = overview();
    const task = vertices[0]!.status;
    return {
      jid,
      name,
      state,
      'start-time': start,
      'end-time': end,
      duration,
      'last-modification': Date.now(),
      tasks: {
        total: 1,
        running: task === 'RUNNING' ? 1 : 0,
        finished: task === 'FINISHED' ? 1 : 0,
        canceled: task === 'CANCELED' ? 1 : 0,
        canceling: task === 'CANCELLING' ? 1 : 0,
        failed: 0,
      },
    };
  };

  const trigger = (kind: 'stop' | 'savepoint', body: Record<string, unknown>, res: ServerResponse) => {
    const given = typeof body.triggerId === 'string' && body.triggerId ? body.triggerId : undefined;
    if (given && operations.has(given)) return json(res, 202, { 'request-id': given });
    if (state !== 'RUNNING' || (kind === 'stop' && stopping)) {
      return json(res, 409, { errors: [`Job ${opts.jobId} is not running (state ${state}${stopping ? ', stopping' : ''})`] });
    }
    const dirField = kind === 'stop' ? body.targetDirectory : body['target-directory'];
    const targetDirectory = typeof dirField === 'string' && dirField ? dirField : undefined;
    const triggerId = given ?? randomBytes(16).toString('hex');
    operations.set(triggerId, { status: 'IN_PROGRESS' });
    const record = { triggerId, kind, ...(targetDirectory ? { targetDirectory } : {}), at: new Date().toISOString() };
    triggers.push(record);
    opts.onTrigger?.(record);
    const behaviour = opts.behaviour?.() ?? 'ok';
    const stops = kind === 'stop' || body['cancel-job'] === true;
    if (stops && behaviour === 'ok') stopping = true;
    json(res, 202, { 'request-id': triggerId });
    if (behaviour === 'stall') return;
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (closed) return;
        if (behaviour === 'fail' || !targetDirectory) {
          const why = !targetDirectory
            ? "No savepoint directory configured. You can either specify a directory when triggering this savepoint or configure a cluster-wide default via key 'state.savepoints.dir'."
            : 'Checkpoint Coordinator is suspending (simulated savepoint failure: sim.sluice.dev/savepoint=fail).';
          stopping = false;
          operations.set(triggerId, {
            status: 'COMPLETED',
            failure: {
              class: 'java.util.concurrent.CompletionException',
              'stack-trace': `java.util.concurrent.CompletionException: org.apache.flink.runtime.checkpoint.CheckpointException: ${why}\n\tat org.apache.flink.runtime.scheduler.SchedulerBase.lambda$stopWithSavepoint(SchedulerBase.java)`,
            },
          });
          return;
        }
        const location = `${targetDirectory.replace(/\/+$/, '')}/savepoint-${opts.jobId.slice(0, 6)}-${randomBytes(6).toString('hex')}`;
        operations.set(triggerId, { status: 'COMPLETED', location, ...(stops ? { stops: true } : {}) });
        if (stops) {
          state = 'FINISHED';
          stopping = false;
        }
      },
      Math.max(0, opts.delayMs?.() ?? 300),
    );
    timers.add(timer);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path =
      (req.url ?? '/')
        .split('?')[0]!
        .replace(/^\/v1\//, '/')
        .replace(/\/+$/, '') || '/';
    const parts = path.split('/').filter(Boolean);
    if (req.method === 'GET' && path === '/jobs') return json(res, 200, { jobs: [{ id: opts.jobId, status: state }] });
    if (req.method === 'GET' && path === '/jobs/overview') return json(res, 200, { jobs: [summary()] });
    if (req.method === 'GET' && path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><html><head><title>Apache Flink Web Dashboard</title></head><body><h1>Flink REST stand-in</h1><p>Job <code>${opts.jobId}</code>: ${state}</p></body></html>`,
      );
      return;
    }
    if (req.method === 'GET' && path === '/overview') {
      const running = state === 'RUNNING' || state === 'CANCELLING' ? 1 : 0;
      return json(res, 200, {
        taskmanagers: 1,
        'slots-total': 1,
        'slots-available': 1 - running,
        'jobs-running': running,
        'jobs-finished': state === 'FINISHED' ? 1 : 0,
        'jobs-cancelled': state === 'CANCELED' ? 1 : 0,
        'jobs-failed': 0,
        'flink-version': 'standin',
      });
    }
    if (req.method === 'GET' && path === '/sluice-standin') return json(res, 200, { jobId: opts.jobId, state, triggers });
    if (parts[0] !== 'jobs' || !parts[1]) return notFound(res, `Not found: ${path}`);
    if (parts[1] !== opts.jobId) return notFound(res, `Job ${parts[1]} not found`);
    if (req.method === 'GET' && parts.length === 2) return json(res, 200, overview());
    if (req.method === 'PATCH' && parts.length === 2) {
      const mode = new URL(req.url ?? '/', 'http://x').searchParams.get('mode') ?? 'cancel';
      if (mode !== 'cancel') return json(res, 400, { errors: [`Unknown termination mode ${mode}`] });
      if (state === 'RUNNING') {
        state = 'CANCELLING';
        const timer = setTimeout(
          () => {
            timers.delete(timer);
            state = 'CANCELED';
          },
          Math.max(0, opts.delayMs?.() ?? 300),
        );
        timers.add(timer);
      }
      return json(res, 202, {});
    }
    if (req.method === 'GET' && parts.length === 3 && parts[2] === 'exceptions')
      return json(res, 200, { exceptionHistory: { entries: [], truncated: false } });
    if (req.method === 'GET' && parts.length === 3 && parts[2] === 'metrics') {
      const wanted = new URL(req.url ?? '/', 'http://x').searchParams.get('get')?.split(',') ?? [];
      return json(res, 200, wanted.includes('numRestarts') ? [{ id: 'numRestarts', value: '0' }] : []);
    }
    if (req.method === 'POST' && parts.length === 3 && (parts[2] === 'stop' || parts[2] === 'savepoints')) {
      let body: Record<string, unknown>;
      try {
        body = await readJson(req);
      } catch (err) {
        return json(res, 400, { errors: [`Request did not match expected format: ${(err as Error).message}`] });
      }
      return trigger(parts[2] === 'stop' ? 'stop' : 'savepoint', body, res);
    }
    if (req.method === 'GET' && parts.length === 4 && parts[2] === 'savepoints') {
      const op = operations.get(parts[3]!);
      if (!op) return notFound(res, `There is no savepoint operation with triggerId=${parts[3]} for job ${opts.jobId}`);
      if (op.status === 'IN_PROGRESS') return json(res, 200, { status: { id: 'IN_PROGRESS' }, operation: null });
      json(res, 200, {
        status: { id: 'COMPLETED' },
        operation: 'location' in op ? { location: op.location } : { 'failure-cause': op.failure },
      });
      // As a real JobManager: once the result of the stop that finished its job was read, it exits.
      if ('location' in op && op.stops && !exited) {
        exited = true;
        opts.onStopped?.(op.location);
      }
      return;
    }
    return json(res, 405, { errors: [`${req.method} ${path} is not supported by the stand-in`] });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { errors: [(err as Error).message] });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const bound = (server.address() as { port: number }).port;

  return {
    host: opts.host,
    port: bound,
    url: `http://${opts.host}:${bound}`,
    triggers,
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
