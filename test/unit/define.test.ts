import { describe, expect, it } from 'vitest';
import { settingsSchema } from '../../shared/config.js';
import { defineFunction, labelMatcher, matchingSubscription, when } from '../../shared/runtime/define.js';
import type { ObjectEvent } from '../../shared/runtime/define.js';
import { FLINK_DEPLOYMENTS, PODS } from '../../shared/kube/resources.js';

const settings = settingsSchema.parse({});

describe('label selectors', () => {
  it('matches equality, inequality, existence and absence', () => {
    const m = labelMatcher('system=ververica-platform,app!=other,jobId,!skip');
    expect(m({ system: 'ververica-platform', jobId: 'x' })).toBe(true);
    expect(m({ system: 'ververica-platform', jobId: 'x', app: 'other' })).toBe(false);
    expect(m({ system: 'ververica-platform' })).toBe(false);
    expect(m({ system: 'ververica-platform', jobId: 'x', skip: '' })).toBe(false);
    expect(m(undefined)).toBe(false);
    expect(labelMatcher(undefined)(undefined)).toBe(true);
  });
});

describe('subscriptions', () => {
  const fn = defineFunction({
    name: 'watchPods',
    description: 'test',
    subscriptions: [
      when(PODS).isCreatedOrUpdated().withLabels('system=ververica-platform').in('cluster'),
      when(FLINK_DEPLOYMENTS).isDeleted(),
    ],
    permissions: [],
    handle: async () => ({ result: 'handled' }),
  });
  const podEvent = (labels: Record<string, string>, verb: 'add' | 'update' | 'delete' = 'update'): ObjectEvent => ({
    mode: 'resource',
    verb,
    id: '1',
    source: 's',
    ref: { apiVersion: 'v1', kind: 'Pod', name: 'p', namespace: 'anywhere' },
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'anywhere', labels } },
  });

  it('routes by kind, verb, label and scope', () => {
    expect(matchingSubscription(fn, podEvent({ system: 'ververica-platform' }), settings)).toBeDefined();
    expect(matchingSubscription(fn, podEvent({ system: 'other' }), settings)).toBeUndefined();
    expect(matchingSubscription(fn, podEvent({ system: 'ververica-platform' }, 'delete'), settings)).toBeUndefined();
    const deletion: ObjectEvent = {
      mode: 'reference',
      verb: 'delete',
      id: '2',
      source: 's',
      ref: { apiVersion: 'sluice.dev/v1alpha1', kind: 'FlinkDeployment', name: 'd', namespace: 'elsewhere' },
    };
    expect(matchingSubscription(fn, deletion, settings)).toBeUndefined();
    expect(matchingSubscription(fn, { ...deletion, ref: { ...deletion.ref, namespace: 'sluice-system' } }, settings)).toBeDefined();
  });

  it('refuses a function without subscriptions or with a bad name', () => {
    expect(() => defineFunction({ ...fn, subscriptions: [] })).toThrow(/subscribes to nothing/);
    expect(() => defineFunction({ ...fn, name: 'Bad-Name' })).toThrow(/camelCase/);
  });
});
