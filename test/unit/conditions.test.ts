import { describe, expect, it } from 'vitest';
import { targetStatus } from '../../functions/onDeploymentTargetCreate/logic.js';
import { withConditions } from '../../shared/vvp/conditions.js';
import { target } from './fixtures.js';

const NOW = '2026-11-21T10:00:00.000Z';
const LATER = '2030-01-01T00:00:00.000Z';

describe('conditions', () => {
  it("move lastTransitionTime only when a condition's status changes", () => {
    const one = withConditions(
      undefined,
      [{ type: 'Synced', set: { type: 'Synced', status: 'False', reason: 'Refused', message: 'a' } }],
      NOW,
    );
    const two = withConditions(
      one,
      [{ type: 'Synced', set: { type: 'Synced', status: 'False', reason: 'InvalidSpec', message: 'b' } }],
      LATER,
    );
    expect(two[0]).toMatchObject({ reason: 'InvalidSpec', lastTransitionTime: NOW });
    const three = withConditions(two, [{ type: 'Synced', set: { type: 'Synced', status: 'True', reason: 'Synced', message: 'c' } }], LATER);
    expect(three[0]!.lastTransitionTime).toBe(LATER);
  });

  it('are set by type, keeping the others, and removed when unset', () => {
    const both = withConditions(
      undefined,
      [
        { type: 'Synced', set: { type: 'Synced', status: 'True', reason: 'Synced', message: 'ok' } },
        { type: 'DeploymentFailed', set: { type: 'DeploymentFailed', status: 'True', reason: 'Failed', message: 'x' } },
      ],
      NOW,
    );
    expect(both.map((c) => c.type)).toEqual(['Synced', 'DeploymentFailed']);
    expect(withConditions(both, [{ type: 'DeploymentFailed' }], NOW).map((c) => c.type)).toEqual(['Synced']);
  });

  it('of a deployment target follow the same rule: NOT_READY for another reason keeps its transition time', () => {
    const missing = targetStatus(target(), { ready: false, reason: 'NamespaceMissing', message: 'namespace x does not exist' }, NOW);
    const unbound = targetStatus(
      { ...target(), status: missing },
      { ready: false, reason: 'PermissionsMissing', message: 'cannot bind' },
      LATER,
    );
    expect(unbound.conditions).toEqual([
      { type: 'Ready', status: 'False', reason: 'PermissionsMissing', message: 'cannot bind', lastTransitionTime: NOW },
    ]);
    const ready = targetStatus({ ...target(), status: unbound }, { ready: true, namespace: 'x', bindings: [] }, LATER);
    expect(ready.conditions).toMatchObject([{ status: 'True', lastTransitionTime: LATER }]);
  });
});
