import { type Agent, type IncomingHttpHeaders, request } from 'node:http';

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Sent in pieces without a Content-Length; the server may stop reading (and answer) half-way. */
  chunked?: boolean;
  /** A keep-alive agent; by default a fresh connection. */
  agent?: Agent | false;
}

/**
 * One HTTP request over node:http, answered with its status, headers and text: for requests fetch
 * cannot send (broken ones, chunked ones) and for the benchmarks' load, where fetch's own
 * cost would count against the function measured.
 */
export function rawRequest(url: string, opts: RawRequest = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: opts.method ?? 'POST',
        headers: opts.headers,
        agent: opts.agent ?? false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body === undefined) return void req.end();
    if (!opts.chunked) req.setHeader('content-length', Buffer.byteLength(opts.body));
    if (opts.chunked) {
      const buf = Buffer.from(opts.body);
      for (let i = 0; i < buf.length; i += 256 * 1024) req.write(buf.subarray(i, i + 256 * 1024));
      req.end();
    } else req.end(opts.body);
  });
}
