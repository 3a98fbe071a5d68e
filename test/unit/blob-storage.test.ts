import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { effectiveSpec } from '../../functions/applyPatchSet/logic.js';
import { blobStorageUriOf } from '../../shared/config.js';
import { blobStorageDirectories, withBlobStorage } from '../../shared/vvp/blob-storage.js';
import { deployment, target } from './fixtures.js';

const BASE = 's3://bucket/sluice';

describe('universal blob storage', () => {
  it("lays a deployment's directories out under the base, per vNamespace and deployment", () => {
    expect(blobStorageDirectories(`${BASE}/`, 'team', 'd-1')).toEqual({
      savepoints: 's3://bucket/sluice/namespaces/team/deployments/d-1/savepoints',
      checkpoints: 's3://bucket/sluice/namespaces/team/deployments/d-1/checkpoints',
      ha: 's3://bucket/sluice/namespaces/team/deployments/d-1/ha',
    });
  });

  it('fills in only the directories a spec leaves unset, under the keys its Flink version reads', () => {
    const d = deployment();
    const spec = {
      ...d.spec.spec,
      template: {
        spec: {
          ...d.spec.spec.template.spec,
          artifact: { kind: 'JAR' as const, flinkVersion: '1.20' },
          flinkConfiguration: { 'execution.checkpointing.savepoint-dir': 's3://mine/sp' },
        },
      },
    };
    expect(withBlobStorage(spec, BASE, 'team', 'd-1').template.spec.flinkConfiguration).toEqual({
      'execution.checkpointing.savepoint-dir': 's3://mine/sp',
      'state.checkpoints.dir': `${BASE}/namespaces/team/deployments/d-1/checkpoints`,
      'high-availability.storageDir': `${BASE}/namespaces/team/deployments/d-1/ha`,
    });
    const flink2 = {
      ...spec,
      template: { spec: { ...spec.template.spec, artifact: { kind: 'JAR' as const, flinkVersion: '2.1' }, flinkConfiguration: {} } },
    };
    expect(Object.keys(withBlobStorage(flink2, BASE, 'team', 'd-1').template.spec.flinkConfiguration!)).toEqual([
      'execution.checkpointing.savepoint-dir',
      'execution.checkpointing.dir',
      'high-availability.storageDir',
    ]);
    expect(withBlobStorage(spec, undefined, 'team', 'd-1')).toBe(spec);
  });

  it("is part of a deployment's effective spec, after the target's patch set", () => {
    const d = deployment();
    const t = target([{ op: 'add', path: '/spec/template/spec/flinkConfiguration', value: { 'state.savepoints.dir': 's3://target/sp' } }]);
    const conf = effectiveSpec(d, t, 'sluice-system', BASE).spec!.template.spec.flinkConfiguration!;
    expect(conf['state.savepoints.dir']).toBe('s3://target/sp');
    expect(conf['state.checkpoints.dir']).toBe(
      `${BASE}/namespaces/${d.spec.metadata.namespace}/deployments/${d.spec.metadata.id}/checkpoints`,
    );
  });

  it('the base: as configured, else in local mode a directory of SLUICE_HOME, else none', () => {
    expect(blobStorageUriOf({ blobStorageUri: 's3://b/x/', home: '/h' }, true)).toBe('s3://b/x');
    const home = join(tmpdir(), 'sluice home');
    expect(blobStorageUriOf({ home }, true)).toBe(`${pathToFileURL(home).href}/blob-storage`);
    expect(blobStorageUriOf({ home }, false)).toBeUndefined();
  });
});
