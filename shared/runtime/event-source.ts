import type { KubeConfig } from '@kubernetes/client-node';
import { Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Settings } from '../config.js';
import type { Kube } from '../kube/client.js';
import type { ResourceType } from '../kube/resources.js';
import { type SluiceFunction, type Subscription, namespacesOf } from './define.js';
import { type KubeObject, type SluiceEvent, type Verb, apiServerEvent, fromCloudEvent } from './events.js';
import { asKubeObject, listPage } from './list.js';

/** Receives every event the source emits, with the names of the functions it is for. */
export type Sink = (event: SluiceEvent, functionName: string) => void;

interface WatchTarget {
  resource: ResourceType;
  namespace: string | undefined;
  labelSelector: string | undefined;
  subscribers: { fn: SluiceFunction; sub: Subscription }[];
}

const WATCH_VERBS: Record<string, Verb> = { ADDED: 'add', MODIFIED: 'update', DELETED: 'delete' };

function pathOf(r: ResourceType, namespace: string | undefined): string {
  const base = r.apiVersion.includes('/') ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
  return `${base}${namespace ? `/namespaces/${namespace}` : ''}/${r.plural}`;
}

/**
 * Watches the API server and emits exactly the CloudEvents ApiServerSource would, one
 * watch per distinct (resource, namespace, selector) however many functions want it.
 * Resumes from the last resourceVersion after a dropped connection. Like the real adapter
 * (a client-go reflector whose store ignores Replace), it emits nothing for what a list
 * finds, on start or on a re-list after 410 Gone: what changed while no watch was open is
 * repaired by a resync, which `relisted` is there to start (ARCHITECTURE.md, "Missed events").
 */
export class InProcessEventSource {
  readonly #watches: WatchTarget[] = [];
  readonly #aborts = new Set<AbortController>();
  #stopped = false;
  #config: KubeConfig | undefined;

  constructor(
    private readonly kube: Kube,
    private readonly settings: Settings,
    private readonly log: Logger,
    private readonly sink: Sink,
    /** Told the functions a stream feeds when it re-lists: events may have been missed. */
    private readonly relisted: (functionNames: string[]) => void = () => {},
  ) {}

  /** Starts every watch the functions' subscriptions need; resolves once all are listening. */
  async start(functions: readonly SluiceFunction[]): Promise<void> {
    this.#config = await this.kube.kubeConfig();
    const byKey = new Map<string, WatchTarget>();
    for (const fn of functions) {
      for (const sub of fn.subscriptions) {
        const scope = namespacesOf(sub.scope, this.settings);
        for (const namespace of scope === 'all' ? [undefined] : scope) {
          const key = `${sub.resource.apiVersion}/${sub.resource.plural}|${namespace ?? '*'}|${sub.labelSelector ?? ''}`;
          let target = byKey.get(key);
          if (!target) {
            target = { resource: sub.resource, namespace, labelSelector: sub.labelSelector, subscribers: [] };
            byKey.set(key, target);
          }
          target.subscribers.push({ fn, sub });
        }
      }
    }
    this.#watches.push(...byKey.values());
    await Promise.all(this.#watches.map((w) => this.#run(w)));
  }

  /** Watches open now: one per target while running, none once stopped. */
  get watching(): number {
    return this.#aborts.size;
  }

  stop(): void {
    this.#stopped = true;
    for (const a of this.#aborts) a.abort();
    this.#aborts.clear();
  }

  #emit(target: WatchTarget, verb: Verb, object: KubeObject) {
    for (const { fn, sub } of target.subscribers) {
      if (!sub.verbs.includes(verb)) continue;
      const ce = apiServerEvent({
        verb,
        object,
        mode: sub.mode,
        source: this.kube.server ?? 'in-process',
        resource: target.resource.plural,
      });
      const event = fromCloudEvent(ce);
      if (event.mode !== 'foreign') this.sink(event, fn.name);
    }
  }

  /** Lists for the current version, then watches from it; `again`: a re-list after the watch expired. */
  async #run(target: WatchTarget, again = false): Promise<void> {
    let version: string;
    try {
      version = await this.#currentVersion(target);
    } catch (err) {
      if (this.#stopped) return;
      this.log.warn({ path: pathOf(target.resource, target.namespace), reason: (err as Error).message }, 'list failed; retrying');
      await new Promise((r) => setTimeout(r, 1000));
      return this.#run(target, again);
    }
    if (again) this.relisted([...new Set(target.subscribers.map((s) => s.fn.name))]);
    this.#watch(target, version);
  }

  /** The resourceVersion to watch from: a one-object list's (the objects themselves emit nothing). */
  async #currentVersion(target: WatchTarget): Promise<string> {
    const page = await listPage(this.kube, target.resource, target.namespace, { labelSelector: target.labelSelector, limit: 1 });
    return page.resourceVersion ?? '';
  }

  #watch(target: WatchTarget, fromVersion: string): void {
    if (this.#stopped) return;
    let version = fromVersion;
    let gone = false;
    const path = pathOf(target.resource, target.namespace);
    const query = { resourceVersion: version, allowWatchBookmarks: true, labelSelector: target.labelSelector };
    // Kept while open, so that stop() can end it; a resumed watch is a new one.
    let open: AbortController | undefined;
    let ended = false;
    new Watch(this.#config!)
      .watch(
        path,
        query,
        (phase, obj: { metadata?: { resourceVersion?: string }; code?: number }) => {
          if (phase === 'BOOKMARK') {
            version = obj.metadata?.resourceVersion ?? version;
            return;
          }
          if (phase === 'ERROR') {
            gone = obj.code === 410;
            return;
          }
          const verb = WATCH_VERBS[phase];
          const object = asKubeObject(target.resource, obj);
          if (!verb || !object) return;
          version = object.metadata.resourceVersion ?? version;
          this.#emit(target, verb, object);
        },
        (err: unknown) => {
          ended = true;
          if (open) this.#aborts.delete(open);
          if (this.#stopped) return;
          const status = (err as { statusCode?: number; code?: number } | null)?.statusCode;
          if (gone || status === 410) {
            this.log.info({ path }, 'watch expired (410); re-listing');
            void this.#run(target, true);
            return;
          }
          if (err) this.log.warn({ path, reason: (err as Error).message }, 'watch dropped; resuming');
          setTimeout(() => this.#watch(target, version), err ? 500 : 0);
        },
      )
      .then((abort) => {
        // stop() ran while this watch was starting: it has no other chance to end it.
        if (this.#stopped) abort.abort();
        else if (!ended) this.#aborts.add((open = abort));
      })
      .catch((err: unknown) => {
        if (this.#stopped) return;
        this.log.warn({ path, reason: (err as Error).message }, 'watch failed to start; retrying');
        setTimeout(() => this.#watch(target, version), 1000);
      });
  }
}
