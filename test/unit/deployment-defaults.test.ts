import { describe, expect, it } from 'vitest';
import { checkDefaultsSpec, defaultsView, patchedDefaults, withNamespaceDefaults } from '../../shared/vvp/deployment-defaults.js';
import { BadInput } from '../../shared/runtime/errors.js';

const NOW = '2026-11-21T10:00:00.000Z';
const LATER = '2026-11-21T11:00:00.000Z';

describe('deployment defaults', () => {
  it('none set: an empty spec at version 0, with a stable id', () => {
    const a = defaultsView('team', undefined, NOW);
    expect(a).toMatchObject({
      kind: 'DeploymentDefaults',
      apiVersion: 'v1',
      metadata: { name: 'default', namespace: 'team', resourceVersion: 0, createdAt: NOW },
      spec: {},
    });
    expect(defaultsView('team', undefined, LATER).metadata.id).toBe(a.metadata.id);
    expect(defaultsView('other', undefined, NOW).metadata.id).not.toBe(a.metadata.id);
  });

  it('a PATCH merges onto the current defaults, null dropping a field, and counts versions', () => {
    const first = patchedDefaults(
      'team',
      undefined,
      { spec: { template: { spec: { parallelism: 2, flinkConfiguration: { a: '1', b: '2' } } } } },
      NOW,
    );
    expect(first).toMatchObject({ resourceVersion: 1, createdAt: NOW, modifiedAt: NOW });
    const second = patchedDefaults(
      'team',
      first,
      { metadata: { resourceVersion: 1 }, spec: { template: { spec: { flinkConfiguration: { b: null, c: '3' } } } } },
      LATER,
    );
    expect(second).toMatchObject({ resourceVersion: 2, createdAt: NOW, modifiedAt: LATER, id: first.id });
    expect(second.spec).toEqual({ template: { spec: { parallelism: 2, flinkConfiguration: { a: '1', c: '3' } } } });
    expect(patchedDefaults('team', second, { spec: null }, LATER).spec).toEqual({});
  });

  it('refuses what would make a Deployment invalid, a stale version and another namespace', () => {
    const refused = (body: unknown, status = 400, current = undefined) => {
      try {
        patchedDefaults('team', current, body, NOW);
      } catch (err) {
        expect(err).toBeInstanceOf(BadInput);
        expect((err as BadInput).status).toBe(status);
        return (err as BadInput).message;
      }
      throw new Error('accepted');
    };
    expect(refused({ spec: { template: { spec: { parallelism: 'two' } } } })).toMatch(/parallelism/);
    expect(refused({ spec: { upgradeStrategy: { kind: 'SIDEWAYS' } } })).toMatch(/upgradeStrategy/);
    expect(refused({ spec: { noSuchField: 1 } })).toMatch(/noSuchField/);
    expect(refused({ metadata: { resourceVersion: 3 } }, 409)).toMatch(/stale/);
    expect(refused({ metadata: { namespace: 'other' } })).toMatch(/namespace/);
    expect(refused([])).toMatch(/object/);
    expect(refused({ kind: 'Deployment' })).toMatch(/kind/);
    expect(() => checkDefaultsSpec({ deploymentTargetName: 'shared', state: 'RUNNING' })).not.toThrow();
  });

  it("a new Deployment's spec is merged onto the defaults: its own values win, a target it names replaces theirs", () => {
    const defaults = patchedDefaults(
      'team',
      undefined,
      {
        spec: {
          deploymentTargetName: 'shared',
          upgradeStrategy: { kind: 'STATEFUL' },
          template: { spec: { flinkConfiguration: { a: '1', b: '2' } } },
        },
      },
      NOW,
    );
    const body = {
      metadata: { name: 'd' },
      spec: { deploymentTargetId: '3f0d7a52-97a4-4c1c-9a1c-0c7a4a1f0b11', template: { spec: { flinkConfiguration: { b: 'mine' } } } },
    };
    expect(withNamespaceDefaults(body, defaults)).toEqual({
      metadata: { name: 'd' },
      spec: {
        deploymentTargetId: '3f0d7a52-97a4-4c1c-9a1c-0c7a4a1f0b11',
        upgradeStrategy: { kind: 'STATEFUL' },
        template: { spec: { flinkConfiguration: { a: '1', b: 'mine' } } },
      },
    });
    expect(withNamespaceDefaults({ metadata: { name: 'd' } }, defaults)).toMatchObject({ spec: { deploymentTargetName: 'shared' } });
    expect(withNamespaceDefaults(body, undefined)).toBe(body);
  });
});
