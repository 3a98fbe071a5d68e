import type { Logger } from 'pino';
import type { Reply } from './dispatch.js';
import type { SluiceEvent } from './events.js';

/**
 * In-process delivery with the Broker's guarantees and then some: at most one step per
 * (function, object, verb) at a time, a newer event replacing a queued older one (steps
 * are level-triggered, so only the latest matters), and retries with exponential backoff
 * while a step answers 5xx. Bounded concurrency keeps a burst from flooding the API server.
 */
export class DeliveryQueue {
  readonly #pending = new Map<string, { fnName: string; event: SluiceEvent; attempt: number }>();
  readonly #active = new Set<string>();
  readonly #ready: string[] = [];
  #running = 0;
  #idleWaiters: (() => void)[] = [];
  #stopped = false;

  constructor(
    private readonly deliver: (fnName: string, event: SluiceEvent) => Promise<Reply>,
    private readonly log: Logger,
    private readonly concurrency = 16,
    private readonly maxBackoffMs = 10_000,
  ) {}

  push(event: SluiceEvent, fnName: string): void {
    const key = `${fnName}|${'ref' in event ? `${event.ref.kind}/${event.ref.namespace ?? ''}/${event.ref.name}|${event.verb}` : event.id}`;
    const queued = this.#pending.has(key);
    this.#pending.set(key, { fnName, event, attempt: 0 });
    if (!queued && !this.#active.has(key)) this.#ready.push(key);
    this.#pump();
  }

  /** What is queued (with its attempt) and running, by key: for diagnostics. */
  inspect(): { pending: { key: string; attempt: number }[]; active: string[] } {
    return { pending: [...this.#pending].map(([key, item]) => ({ key, attempt: item.attempt })), active: [...this.#active] };
  }

  /** Resolves when nothing is queued or running (tests and shutdown). */
  idle(): Promise<void> {
    if (this.#running === 0 && this.#pending.size === 0) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  stop(): void {
    this.#stopped = true;
    this.#pending.clear();
    this.#ready.length = 0;
  }

  #pump() {
    while (!this.#stopped && this.#running < this.concurrency && this.#ready.length > 0) {
      const key = this.#ready.shift()!;
      const item = this.#pending.get(key);
      if (!item || this.#active.has(key)) continue;
      this.#pending.delete(key);
      this.#active.add(key);
      this.#running++;
      void this.#run(key, item);
    }
    if (this.#running === 0 && this.#pending.size === 0) {
      for (const w of this.#idleWaiters.splice(0)) w();
    }
  }

  async #run(key: string, item: { fnName: string; event: SluiceEvent; attempt: number }) {
    let retryIn: number | undefined;
    try {
      const reply = await this.deliver(item.fnName, item.event);
      if (reply.status >= 500) retryIn = Math.min(100 * 2 ** item.attempt, this.maxBackoffMs);
    } catch (err) {
      this.log.error({ function: item.fnName, reason: (err as Error).message }, 'delivery failed');
      retryIn = Math.min(100 * 2 ** item.attempt, this.maxBackoffMs);
    }
    this.#active.delete(key);
    this.#running--;
    if (retryIn !== undefined && !this.#stopped) {
      // Keep the slot: a newer event for the same key supersedes this retry.
      if (!this.#pending.has(key)) this.#pending.set(key, { ...item, attempt: item.attempt + 1 });
      setTimeout(() => {
        if (!this.#active.has(key) && this.#pending.has(key)) this.#ready.push(key);
        this.#pump();
      }, retryIn).unref();
    } else if (this.#pending.has(key)) {
      this.#ready.push(key);
    }
    this.#pump();
  }
}
