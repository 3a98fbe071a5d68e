import type { V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { planDeployment } from '../../functions/deploymentStep/logic.js';
import { BadInput } from '../../shared/runtime/errors.js';
import type { JobResource } from '../../shared/model/index.js';
import { childObjects, configSecret, parentConfigMap } from '../../shared/vvp/flink-resources.js';
import {
  parseSecretValueInput,
  referencedSecretValues,
  secretOf,
  secretValueView,
  substituteSecretValues,
} from '../../shared/vvp/secret-values.js';
import { deployment, jobOf, withEffective } from './fixtures.js';

function jobWith(flinkConfiguration: Record<string, string>): JobResource {
  const d = withEffective(deployment());
  const write = planDeployment(d, undefined, 'now').actions[0]!;
  const job = jobOf({ ...d, status: write.type === 'writeStatus' ? write.status : d.status });
  job.spec.spec.template.spec = { ...job.spec.spec.template.spec, flinkConfiguration };
  return job;
}

const decode = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString('utf8');

describe('secret values', () => {
  it('finds and fills in `${secret_values.<name>}` references', () => {
    const conf = {
      'a.password': '${secret_values.db-pw}',
      url: 'jdbc:x?u=${secret_values.user}&p=${secret_values.db-pw}',
      plain: 'x',
      other: '${env.HOME}',
    };
    expect(referencedSecretValues(conf)).toEqual(['db-pw', 'user']);
    expect(substituteSecretValues(conf, { 'db-pw': 's3cr3t', user: 'me' })).toEqual({
      'a.password': 's3cr3t',
      url: 'jdbc:x?u=me&p=s3cr3t',
      plain: 'x',
      other: '${env.HOME}',
    });
    expect(referencedSecretValues(undefined)).toEqual([]);
  });

  it('validates a body, never quoting the value', () => {
    expect(
      parseSecretValueInput({ kind: 'SecretValue', metadata: { name: 'db-pw' }, spec: { kind: 'Plain', value: 'v' } }, 'team'),
    ).toEqual({ name: 'db-pw', kind: 'Plain', value: 'v' });
    const refused = (body: unknown) => {
      try {
        parseSecretValueInput(body, 'team');
      } catch (err) {
        expect(err).toBeInstanceOf(BadInput);
        expect((err as Error).message).not.toContain('hunter2');
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused({ metadata: { name: 'bad name!' }, spec: { value: 'hunter2' } })).toMatch(/^metadata.name/);
    expect(refused({ metadata: { name: 'x' }, spec: { value: 42 } })).toMatch(/^spec.value: must be a string/);
    expect(refused({ metadata: { name: 'x' }, spec: { kind: 'Vault', value: 'hunter2' } })).toMatch(/^spec.kind/);
    expect(refused({ metadata: { name: 'x', namespace: 'other' }, spec: { value: 'hunter2' } })).toMatch(/namespace/);
    expect(refused({ metadata: { name: 'x' }, spec: { value: 'hunter2', extra: 1 } })).toMatch(/^spec.extra: unknown field/);
    expect(refused([])).toMatch(/object/);
  });

  it('stores the value in a Secret and shows only the metadata', () => {
    const meta = {
      id: '3f0d7a52-97a4-4c1c-9a1c-0c7a4a1f0b11',
      name: 'db-pw',
      namespace: 'team',
      labels: {},
      annotations: {},
      createdAt: 'c',
      modifiedAt: 'm',
      resourceVersion: 1,
    };
    const secret = secretOf('sluice-system', meta, 'Plain', 'hunter2');
    expect(decode(secret.data?.value)).toBe('hunter2');
    expect(JSON.stringify(secret.metadata)).not.toContain('hunter2');
    expect(secretValueView(secret)).toEqual({ kind: 'SecretValue', apiVersion: 'v1', metadata: meta, spec: { kind: 'Plain' } });
  });

  it("puts a job's configuration with its values into a Secret, not its ConfigMap, and mounts both", () => {
    const job = jobWith({ 'db.password': '${secret_values.db-pw}' });
    expect(Object.keys(parentConfigMap(job).data ?? {})).not.toContain('flink-conf.yaml');
    const secret = configSecret(job, { 'db-pw': 'hunter2' }, 'parent-uid');
    expect(decode(secret.data?.['flink-conf.yaml'])).toMatch(/^db\.password: hunter2$/m);
    expect(secret.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'ConfigMap', uid: 'parent-uid' });
    const jm = childObjects(job, 'parent-uid').find((o) => o.kind === 'Job') as V1Job;
    expect(jm.spec?.template.spec?.volumes?.find((v) => v.name === 'flink-config')?.projected?.sources).toEqual([
      { configMap: { name: `job-${job.spec.metadata.id}` } },
      { secret: { name: `job-${job.spec.metadata.id}-flink-config` } },
    ]);
    expect(JSON.stringify([parentConfigMap(job), ...childObjects(job, 'parent-uid'), job])).not.toContain('hunter2');
  });

  it('refuses a missing value or one Flink 1.x cannot read, naming the key but not the value', () => {
    const job = jobWith({ 'db.password': '${secret_values.db-pw}' });
    expect(() => configSecret(job, {}, 'u')).toThrow('secret value db-pw not found in namespace vvp-namespace-1');
    expect(() => configSecret(job, { 'db-pw': 'a#b' }, 'u')).toThrow(/flinkConfiguration db\.password cannot be written/);
    try {
      configSecret(job, { 'db-pw': 'hunter#2' }, 'u');
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter');
    }
  });

  it('a job without secret values keeps its configuration in the ConfigMap', () => {
    const job = jobWith({ a: 'b' });
    expect(Object.keys(parentConfigMap(job).data ?? {})).toContain('flink-conf.yaml');
    const jm = childObjects(job, 'u').find((o) => o.kind === 'Job') as V1Job;
    expect(jm.spec?.template.spec?.volumes?.find((v) => v.name === 'flink-config')?.configMap).toEqual({
      name: `job-${job.spec.metadata.id}`,
    });
  });
});
