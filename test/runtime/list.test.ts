/**
 * Lists page by page to the end, for custom resources as for core ones: a resync and the
 * event source's re-list (after a 410) must see every object, not the first page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TypedKube } from '../../shared/kube/typed.js';
import type { ResourceType } from '../../shared/kube/resources.js';
import { listPage } from '../../shared/runtime/list.js';
import { eventually, testBed } from '../bed/env.js';

const GROUP = 'list-test.sluice.dev';
const WIDGETS: ResourceType = { apiVersion: `${GROUP}/v1`, kind: 'Widget', plural: 'widgets', namespaced: true };
const CONFIG_MAPS: ResourceType = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
const NS = 'list-pages';
const COUNT = 7;

async function everyName(
  kube: TypedKube,
  resource: ResourceType,
  namespace: string | undefined,
  labelSelector: string,
): Promise<{ names: string[]; pages: number }> {
  const names: string[] = [];
  let pages = 0;
  let continueToken: string | undefined;
  do {
    const page = await listPage(kube, resource, namespace, { labelSelector, limit: 2, continueToken });
    expect(page.resourceVersion).toMatch(/^\d+$/);
    names.push(...page.items.map((o) => o.metadata.name));
    continueToken = page.continueToken;
    pages++;
  } while (continueToken);
  return { names: names.sort(), pages };
}

describe('listPage', () => {
  const kube = TypedKube.fromFile(testBed().kubeconfig);
  const expected = Array.from({ length: COUNT }, (_, i) => `w-${i}`).sort();

  beforeAll(async () => {
    await kube.extensions.createCustomResourceDefinition({
      body: {
        metadata: { name: `widgets.${GROUP}` },
        spec: {
          group: GROUP,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
            },
          ],
        },
      },
    });
    await kube.core.createNamespace({ body: { metadata: { name: NS } } });
    const labels = { page: 'test' };
    await eventually(
      async () => {
        try {
          await kube.custom.createNamespacedCustomObject({
            group: GROUP,
            version: 'v1',
            namespace: NS,
            plural: 'widgets',
            body: { apiVersion: WIDGETS.apiVersion, kind: 'Widget', metadata: { name: 'w-0', labels } },
          });
          return true;
        } catch {
          return false; // the CRD is not served yet
        }
      },
      30_000,
      'the Widget CRD to be served',
    );
    for (const name of expected.slice(1)) {
      await kube.custom.createNamespacedCustomObject({
        group: GROUP,
        version: 'v1',
        namespace: NS,
        plural: 'widgets',
        body: { apiVersion: WIDGETS.apiVersion, kind: 'Widget', metadata: { name, labels } },
      });
      await kube.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name, labels } } });
    }
    await kube.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'w-0', labels } } });
    await kube.custom.createNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace: NS,
      plural: 'widgets',
      body: { apiVersion: WIDGETS.apiVersion, kind: 'Widget', metadata: { name: 'unlabelled' } },
    });
  }, 60_000);
  afterAll(async () => {
    await kube.core.deleteNamespace({ name: NS }).catch(() => undefined);
    await kube.extensions.deleteCustomResourceDefinition({ name: `widgets.${GROUP}` }).catch(() => undefined);
  });

  it('follows the continue token of a custom resource list to the last page', async () => {
    const { names, pages } = await everyName(kube, WIDGETS, NS, 'page=test');
    expect(names).toEqual(expected);
    expect(pages).toBe(Math.ceil(COUNT / 2));
  });

  it('lists a custom resource across all namespaces page by page', async () => {
    const { names } = await everyName(kube, WIDGETS, undefined, 'page=test');
    expect(names).toEqual(expected);
  });

  it('follows the continue token of a core resource list to the last page', async () => {
    const { names, pages } = await everyName(kube, CONFIG_MAPS, NS, 'page=test');
    expect(names).toEqual(expected);
    expect(pages).toBe(Math.ceil(COUNT / 2));
  });
});
