/**
 * What the Broker may do to events: deliver the same one many times, deliver them out of
 * order, and hand the same object to two instances of a function at once. Here the test is
 * the Broker: it watches the objects Sluice writes (FlinkDeployments, FlinkJobs, pods), turns
 * every change into the CloudEvent ApiServerSource would send, and delivers each one 10 times
 * at once, split between two HTTP instances of each function that share Redis, replaying
 * older events in reverse order as it goes. No in-process event source runs.
 * Exactly one Job per start; no status ever moves backwards; a replay of the whole history,
 * newest first, changes nothing at all.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventFunctions } from '../../functions/index.js';
import { TypedKube, openWatch } from '../../shared/kube/typed.js';
import { createLogger } from '../../shared/log.js';
import { FLINK_DEPLOYMENTS, FLINK_JOBS, PODS, type ResourceType } from '../../shared/kube/resources.js';
import { type SluiceFunction, matchingSubscription } from '../../shared/runtime/define.js';
import { type KubeObject, type Verb, apiServerEvent, fromCloudEvent } from '../../shared/runtime/events.js';
import { createContext } from '../../shared/runtime/define.js';
import { type CoordinationStore, createStore } from '../../shared/runtime/store.js';
import type { DeploymentResource, JobResource } from '../../shared/model/index.js';
import { eventually, testBed } from '../bed/env.js';
import { post, serveFunction } from '../runtime/harness.js';
import { type RunningSluice, startSluice } from '../support/sluice.js';
import { apiOk, deploymentBody, jobsOf, podsOf, team } from './support.js';

const VNS = 'fault-order';
const TARGET_NS = 'fault-order-jobs';
const TIMES = 10;
const FUNCTIONS = ['applyPatchSet', 'deploymentStep', 'onJobPodStatus'] as const;

const DEPLOYMENT_RANK: Record<string, number> = { TRANSITIONING: 1, RUNNING: 2 };
const JOB_RANK: Record<string, number> = { STARTING: 1, STARTED: 2, TERMINATING: 3, TERMINATED: 4, FAILED: 4, FINISHED: 4 };

interface Recorded {
  ce: CloudEvent<unknown>;
  key: string;
  functions: string[];
}

/** The test's Broker: records watch events as CloudEvents and delivers them, badly. */
class UnrulyBroker {
  readonly history: Recorded[] = [];
  /** Outcome counts per (function, object version): 'handled' may happen at most once. */
  readonly handled = new Map<string, number>();
  readonly deploymentStates = new Map<string, (string | undefined)[]>();
  readonly jobStates = new Map<string, (string | undefined)[]>();
  /** Answers by outcome, and deliveries per instance URL: evidence that it really was unruly. */
  readonly outcomes = new Map<string, number>();
  readonly perInstance = new Map<string, number>();
  readonly #aborts: AbortController[] = [];
  #next = 0;

  constructor(
    private readonly kube: TypedKube,
    private readonly fns: SluiceFunction[],
    private readonly instances: Record<string, string[]>,
    private readonly settings: RunningSluice['ctx']['settings'],
  ) {}

  async watch(resource: ResourceType, namespace: string, labelSelector?: string): Promise<void> {
    const base = resource.apiVersion.includes('/') ? `/apis/${resource.apiVersion}` : `/api/${resource.apiVersion}`;
    const verbs: Record<string, Verb> = { ADDED: 'add', MODIFIED: 'update', DELETED: 'delete' };
    this.#aborts.push(
      await openWatch(
        this.kube.config,
        `${base}/namespaces/${namespace}/${resource.plural}`,
        labelSelector ? { labelSelector } : {},
        (phase, obj: KubernetesObject) => {
          const verb = verbs[phase];
          if (!verb) return;
          const object = { apiVersion: resource.apiVersion, kind: resource.kind, ...obj } as KubeObject;
          if (resource === FLINK_DEPLOYMENTS)
            this.#track(this.deploymentStates, object.metadata.name, (obj as DeploymentResource).status?.state);
          if (resource === FLINK_JOBS) this.#track(this.jobStates, object.metadata.name, (obj as JobResource).status?.state);
          const ce = apiServerEvent({ verb, object, mode: 'resource', source: 'unruly-broker', resource: resource.plural });
          const event = fromCloudEvent(ce);
          if (event.mode !== 'resource') return;
          const functions = this.fns.filter((fn) => matchingSubscription(fn, event, this.settings)).map((fn) => fn.name);
          this.history.push({ ce, key: `${object.metadata.uid}@${object.metadata.resourceVersion}:${verb}`, functions });
        },
      ),
    );
  }

  #track(into: Map<string, (string | undefined)[]>, name: string, state: string | undefined) {
    const seq = into.get(name) ?? [];
    if (seq.length === 0 || seq[seq.length - 1] !== state) seq.push(state);
    into.set(name, seq);
  }

  /** One delivery as the Broker makes it: retried with backoff while the function answers 5xx. */
  async deliver(fn: string, r: Recorded, instance: number): Promise<void> {
    const urls = this.instances[fn]!;
    for (let attempt = 0; ; attempt++) {
      const url = urls[(instance + attempt) % urls.length]!;
      const reply = await post(url, r.ce);
      this.perInstance.set(url, (this.perInstance.get(url) ?? 0) + 1);
      const outcome = `${reply.status} ${reply.outcome}${reply.reason?.startsWith('duplicate') ? ' (duplicate)' : ''}`;
      this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
      if (reply.status >= 200 && reply.status < 300) {
        if (reply.outcome === 'handled') {
          const k = `${fn} ${r.key}`;
          this.handled.set(k, (this.handled.get(k) ?? 0) + 1);
        }
        return;
      }
      if (reply.status < 500) throw new Error(`${fn} answered ${reply.status} to ${r.key}: ${JSON.stringify(reply)}`);
      if (attempt > 60) throw new Error(`${fn} kept answering ${reply.status} to ${r.key}: ${JSON.stringify(reply)}`);
      await new Promise((res) => setTimeout(res, Math.min(50 * 2 ** attempt, 1000)));
    }
  }

  /** Every new event TIMES times at once over both instances, then the last few again, newest first. */
  async pump(): Promise<void> {
    while (this.#next < this.history.length) {
      const r = this.history[this.#next++]!;
      await Promise.all(r.functions.flatMap((fn) => Array.from({ length: TIMES }, (_, i) => this.deliver(fn, r, i))));
      const older = this.history.slice(Math.max(0, this.#next - 5), this.#next - 1).reverse();
      for (const o of older) await Promise.all(o.functions.map((fn, i) => this.deliver(fn, o, i)));
    }
  }

  /** Pumps until `done` holds. */
  async until<T>(done: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.pump();
      const value = await done();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The whole history again, newest first, every event TIMES times over both instances. */
  async replayReversed(): Promise<void> {
    const jobs = [...this.history]
      .reverse()
      .flatMap((r) => r.functions.flatMap((fn) => Array.from({ length: TIMES }, (_, i) => () => this.deliver(fn, r, i))));
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < jobs.length) await jobs[next++]!();
      }),
    );
  }

  stop(): void {
    for (const a of this.#aborts) a.abort();
  }
}

/** No state may come back after a later one. */
function monotone(seq: (string | undefined)[], rank: Record<string, number>): boolean {
  const ranks = seq.filter((s): s is string => s !== undefined).map((s) => rank[s] ?? -1);
  return ranks.every((r, i) => r >= 0 && (i === 0 || r >= ranks[i - 1]!));
}

describe('duplicated, reordered and concurrent deliveries', () => {
  let sluice: RunningSluice;
  let broker: UnrulyBroker;
  let targetId: string;
  const closers: (() => Promise<void>)[] = [];
  const stores: CoordinationStore[] = [];

  beforeAll(async () => {
    sluice = await startSluice({ events: false });
    // No event source: the target's namespace is made by one resync of its function.
    ({ targetId } = await team(sluice, VNS, TARGET_NS, { withoutEvents: true }));

    const fns = await Promise.all(FUNCTIONS.map((name) => eventFunctions[name]!()));
    const instances: Record<string, string[]> = {};
    for (const fn of fns) {
      instances[fn.name] = [];
      for (let i = 0; i < 2; i++) {
        // Each instance as its own container would be: its own clients, the one shared Redis.
        const store = createStore(testBed().redisUrl, sluice.ctx.settings.platformNamespace);
        stores.push(store);
        const ctx = createContext(
          sluice.ctx.settings,
          TypedKube.fromFile(testBed().kubeconfig),
          store,
          createLogger(process.env.SLUICE_TEST_LOG ?? 'silent'),
        );
        const served = await serveFunction(fn, ctx);
        closers.push(served.close);
        instances[fn.name]!.push(served.url);
      }
    }
    broker = new UnrulyBroker(sluice.kube, fns, instances, sluice.ctx.settings);
    const platformNs = sluice.ctx.settings.platformNamespace;
    await broker.watch(FLINK_DEPLOYMENTS, platformNs);
    await broker.watch(FLINK_JOBS, platformNs);
    await broker.watch(PODS, TARGET_NS, 'system=ververica-platform');
  }, 120_000);

  afterAll(async () => {
    broker?.stop();
    for (const close of closers) await close();
    for (const s of stores) await s.close();
    await sluice?.stop();
  });

  const stored = async (name: string) => (await sluice.platform.findDeployment(VNS, name))!;
  const running = (name: string, notJob?: string) => async () => {
    const d = await stored(name);
    const jobId = d.status?.running?.jobId;
    if (d.status?.state !== 'RUNNING' || !jobId || jobId === notJob) return undefined;
    const job = (await jobsOf(sluice, d.spec.metadata.id)).find((j) => j.spec.metadata.id === jobId);
    return job?.status?.state === 'STARTED' ? d : undefined;
  };

  async function expectReplayChangesNothing(name: string) {
    const before = await stored(name);
    const jobsBefore = await jobsOf(sluice, before.spec.metadata.id);
    const podsBefore = await podsOf(sluice, TARGET_NS, before.spec.metadata.id);
    await broker.replayReversed();
    await new Promise((r) => setTimeout(r, 500));
    const after = await stored(name);
    expect(after.metadata.resourceVersion, 'the Deployment was not written again').toBe(before.metadata.resourceVersion);
    const jobsAfter = await jobsOf(sluice, after.spec.metadata.id);
    expect(jobsAfter.map((j) => `${j.metadata.name}@${j.metadata.resourceVersion}`).sort()).toEqual(
      jobsBefore.map((j) => `${j.metadata.name}@${j.metadata.resourceVersion}`).sort(),
    );
    const podsAfter = await podsOf(sluice, TARGET_NS, after.spec.metadata.id);
    expect(podsAfter.map((p) => p.metadata!.uid).sort()).toEqual(podsBefore.map((p) => p.metadata!.uid).sort());
  }

  it('a start: one Job, statuses only move forward, and a reversed replay of everything changes nothing', async () => {
    await apiOk(sluice, `/api/v1/namespaces/${VNS}/deployments`, {
      method: 'POST',
      body: JSON.stringify(deploymentBody(VNS, 'unruly', targetId)),
    });
    const d = await broker.until(running('unruly'), 60_000, 'unruly RUNNING, its job STARTED');

    const jobs = await jobsOf(sluice, d.spec.metadata.id);
    expect(jobs, 'exactly one job for one start').toHaveLength(1);
    const pods = await podsOf(sluice, TARGET_NS, d.spec.metadata.id);
    expect(pods.map((p) => p.metadata?.labels?.component).sort()).toEqual(['jobmanager', 'taskmanager']);

    // Every (function, object version) was delivered 10+ times to two instances: handled once.
    expect(broker.history.length).toBeGreaterThan(5);
    expect(broker.outcomes.get('200 skipped (duplicate)') ?? 0, JSON.stringify([...broker.outcomes])).toBeGreaterThan(
      broker.history.length * (TIMES - 1),
    );
    expect(broker.perInstance.size, `both instances of each function served: ${JSON.stringify([...broker.perInstance])}`).toBe(
      FUNCTIONS.length * 2,
    );
    expect(
      [...broker.perInstance.values()].every((n) => n >= 5),
      JSON.stringify([...broker.perInstance]),
    ).toBe(true);
    expect(
      [...broker.handled].filter(([, n]) => n > 1),
      'an event version handled twice',
    ).toEqual([]);

    await expectReplayChangesNothing('unruly');
    console.log(`unruly broker: ${broker.history.length} events, answers ${JSON.stringify(Object.fromEntries(broker.outcomes))}`);
    const dSeq = broker.deploymentStates.get(d.metadata.name)!;
    expect(monotone(dSeq, DEPLOYMENT_RANK), `deployment states ${JSON.stringify(dSeq)}`).toBe(true);
    for (const [job, seq] of broker.jobStates) expect(monotone(seq, JOB_RANK), `job ${job} states ${JSON.stringify(seq)}`).toBe(true);
  }, 180_000);

  it('an upgrade: one new Job, the old one stopped, and again a reversed replay changes nothing', async () => {
    const before = await stored('unruly');
    const oldJob = before.status!.running!.jobId!;
    await apiOk(sluice, `/api/v1/namespaces/${VNS}/deployments/unruly`, {
      method: 'PATCH',
      body: JSON.stringify({ spec: { template: { spec: { parallelism: 2 } } } }),
    });
    const d = await broker.until(running('unruly', oldJob), 60_000, 'the upgraded job STARTED');

    const jobs = await jobsOf(sluice, d.spec.metadata.id);
    expect(jobs, 'one job per start: the first and the upgrade').toHaveLength(2);
    expect(jobs.find((j) => j.spec.metadata.id === oldJob)?.status?.state).toBe('TERMINATED');
    await eventually(
      async () => {
        const pods = await podsOf(sluice, TARGET_NS, d.spec.metadata.id);
        return pods.every((p) => p.metadata?.labels?.jobId === d.status!.running!.jobId) ? true : undefined;
      },
      30_000,
      "the old job's pods gone",
    );
    expect(
      [...broker.handled].filter(([, n]) => n > 1),
      'an event version handled twice',
    ).toEqual([]);

    await expectReplayChangesNothing('unruly');
    for (const [job, seq] of broker.jobStates) expect(monotone(seq, JOB_RANK), `job ${job} states ${JSON.stringify(seq)}`).toBe(true);
  }, 180_000);
});
