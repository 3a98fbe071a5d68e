import type { DeploymentSpec } from '../model/index.js';
import { flinkVersionOf } from './flink-config.js';

/**
 * Universal blob storage, as VVP has it: one base URI gives every Deployment its state
 * directories, so a Deployment needs no storage configuration of its own. Pure.
 */
export function blobStorageDirectories(base: string, vns: string, deploymentId: string) {
  const root = `${base.replace(/\/+$/, '')}/namespaces/${vns}/deployments/${deploymentId}`;
  return { savepoints: `${root}/savepoints`, checkpoints: `${root}/checkpoints`, ha: `${root}/ha` };
}

/** Each state directory by the keys that set it (either name), and the one Sluice writes for a Flink major version. */
const DIRECTORY_KEYS = [
  {
    dir: 'savepoints',
    keys: ['state.savepoints.dir', 'execution.checkpointing.savepoint-dir'],
    flink1: 'state.savepoints.dir',
    flink2: 'execution.checkpointing.savepoint-dir',
  },
  {
    dir: 'checkpoints',
    keys: ['state.checkpoints.dir', 'execution.checkpointing.dir'],
    flink1: 'state.checkpoints.dir',
    flink2: 'execution.checkpointing.dir',
  },
  { dir: 'ha', keys: ['high-availability.storageDir'], flink1: 'high-availability.storageDir', flink2: 'high-availability.storageDir' },
] as const;

/**
 * The spec with the blob storage's directories in its Flink configuration wherever it sets
 * none of its own (a Deployment's, its defaults' or its target's patch set's setting wins),
 * under the keys its Flink version reads.
 */
export function withBlobStorage(spec: DeploymentSpec, base: string | undefined, vns: string, deploymentId: string): DeploymentSpec {
  if (!base) return spec;
  const dirs = blobStorageDirectories(base, vns, deploymentId);
  const conf = { ...spec.template.spec.flinkConfiguration };
  const major = flinkVersionOf(spec.template.spec.artifact ?? {}).major;
  for (const { dir, keys, flink1, flink2 } of DIRECTORY_KEYS) {
    if (keys.some((k) => conf[k]?.trim())) continue;
    conf[major >= 2 ? flink2 : flink1] = dirs[dir];
  }
  return { ...spec, template: { ...spec.template, spec: { ...spec.template.spec, flinkConfiguration: conf } } };
}
