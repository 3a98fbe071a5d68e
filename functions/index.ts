import type { SluiceFunction } from '../shared/runtime/define.js';

/**
 * Every event-driven function, by name. Loaded lazily so that a function's container
 * (SLUICE_FUNCTION=<name>) loads only its own code; single-process mode, the manifest
 * generator and the event source load them all.
 */
export const eventFunctions: Record<string, () => Promise<SluiceFunction>> = {
  applyPatchSet: () => import('./applyPatchSet/index.js').then((m) => m.default),
  deploymentStep: () => import('./deploymentStep/index.js').then((m) => m.default),
  onCrChanged: () => import('./onCrChanged/index.js').then((m) => m.default),
  onDeploymentTargetCreate: () => import('./onDeploymentTargetCreate/index.js').then((m) => m.default),
  onJobPodStatus: () => import('./onJobPodStatus/index.js').then((m) => m.default),
};

/** What SLUICE_FUNCTION may name: the REST API (`api`) and every event function. */
export const FUNCTION_NAMES = ['api', ...Object.keys(eventFunctions)];

export async function loadAll(): Promise<SluiceFunction[]> {
  return Promise.all(Object.values(eventFunctions).map((load) => load()));
}
