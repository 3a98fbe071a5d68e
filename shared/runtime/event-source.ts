import { Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Settings } from '../config.js';
import type { Kube } from '../kube.js';
import type { ResourceType } from '../resources.js';
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
 * Resumes from the last resourceVersion after a dropped connection; on 410 Gone it
 * re-lists and emits the differences, so no change is missed across API server restarts.
 */
export class InProcessEventSource {
  readonly #watches: WatchTarget[] = [];
  readonly #aborts = new Set<AbortController>();
  readonly #listedOnce = new WeakSet<WatchTarget>();
  #stopped = false;

  constructor(
    private readonly kube: Kube,
    private readonly settings: Settings,
    private readonly log: Logger,
    private readonly sink: Sink,
  ) {}

  /** Starts every watch the functions' subscriptions need; resolves once all are listening. */
  async start(functions: readonly SluiceFunction[]): Promise<void> {
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
      const ce = apiServerEvent({ verb, object, mode: sub.mode, source: this.kube.config.getCurrentCluster()?.server ?? 'in-process', resource: target.resource.plural });
      const event = fromCloudEvent(ce);
      if (event.mode !== 'foreign') this.sink(event, fn.name);
    }
  }

  /** Lists, diffs against what was known, then watches from the list's version. */
  async #run(target: WatchTarget, known = new Map<string, KubeObject>()): Promise<void> {
    let version: string;
    try {
      version = await this.#relist(target, known);
    } catch (err) {
      if (this.#stopped) return;
      this.log.warn({ path: pathOf(target.resource, target.namespace), reason: (err as Error).message }, 'list failed; retrying');
      await new Promise((r) => setTimeout(r, 1000));
      return this.#run(target, known);
    }
    this.#watch(target, known, version);
  }

  async #relist(target: WatchTarget, known: Map<string, KubeObject>): Promise<string> {
    const seen = new Set<string>();
    let continueToken: string | undefined;
    let version = '';
    do {
      const page = await listPage(this.kube, target.resource, target.namespace, { labelSelector: target.labelSelector, limit: 500, continueToken });
      version = page.resourceVersion ?? version;
      for (const object of page.items) {
        const uid = object.metadata.uid ?? object.metadata.name;
        seen.add(uid);
        const before = known.get(uid);
        known.set(uid, object);
        // The first list of a fresh source emits nothing: ApiServerSource does not either.
        if (before === undefined && this.#listedOnce.has(target)) this.#emit(target, 'add', object);
        else if (before && before.metadata.resourceVersion !== object.metadata.resourceVersion) this.#emit(target, 'update', object);
      }
      continueToken = page.continueToken;
    } while (continueToken);
    for (const [uid, object] of known) {
      if (!seen.has(uid)) {
        known.delete(uid);
        this.#emit(target, 'delete', object);
      }
    }
    this.#listedOnce.add(target);
    return version;
  }
  #watch(target: WatchTarget, known: Map<string, KubeObject>, fromVersion: string): void {
    if (this.#stopped) return;
    let version = fromVersion;
    let gone = false;
    const path = pathOf(target.resource, target.namespace);
    const query = { resourceVersion: version, allowWatchBookmarks: true, labelSelector: target.labelSelector };
    // Kept while open, so that stop() can end it; a resumed watch is a new one.
    let open: AbortController | undefined;
    let ended = false;
    new Watch(this.kube.config)
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
          const uid = object.metadata.uid ?? object.metadata.name;
          if (verb === 'delete') known.delete(uid);
          else known.set(uid, object);
          this.#emit(target, verb, object);
        },
        (err: unknown) => {
          ended = true;
          if (open) this.#aborts.delete(open);
          if (this.#stopped) return;
          const status = (err as { statusCode?: number; code?: number } | null)?.statusCode;
          if (gone || status === 410) {
            this.log.info({ path }, 'watch expired (410); re-listing');
            void this.#run(target, known);
            return;
          }
          if (err) this.log.warn({ path, reason: (err as Error).message }, 'watch dropped; resuming');
          setTimeout(() => this.#watch(target, known, version), err ? 500 : 0);
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
        setTimeout(() => this.#watch(target, known, version), 1000);
      });
  }
}
