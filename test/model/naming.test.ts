import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  API_GROUP,
  API_GROUP_VERSION,
  API_VERSION,
  LABELS,
  apiTokenResourceName,
  isDnsSubdomain,
  isLabelValue,
  isVnsName,
  jobObjectName,
  labelValue,
  namespaceResourceName,
  objectName,
  parseApiTokenResourceName,
  parseNamespaceResourceName,
  vnsNameProblem,
} from '../../shared/model/naming.js';

describe('labelValue', () => {
  it("normalises VVP's example", () => {
    expect(labelValue('My Deployment Name')).toBe('my-deployment-name');
  });

  it('lowercases, collapses runs of other characters, strips the ends', () => {
    expect(labelValue('TopSpeedWindowing')).toBe('topspeedwindowing');
    expect(labelValue('--A__b  c--')).toBe('a-b-c');
    expect(labelValue('  Ünïcode!! job  ')).toBe('n-code-job');
    expect(labelValue('!!!')).toBe('');
  });

  it('cuts to 63 before stripping, so the result never ends in "-"', () => {
    const v = labelValue(`${'a'.repeat(62)} tail`);
    expect(v).toBe('a'.repeat(62));
    expect(labelValue('x'.repeat(80))).toHaveLength(63);
  });

  it('always yields a valid label value', () => {
    for (const name of ['My Deployment Name', '-.-', 'a'.repeat(100), 'Ä-b_c.d', '9 lives', '', 'x y z '.repeat(30)]) {
      expect(isLabelValue(labelValue(name)), name).toBe(true);
    }
  });
});

describe('objectName', () => {
  const hash8 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);

  it('is <vns>.<slug>-<first 8 hex of sha256(name)>', () => {
    expect(objectName('vvp-namespace-1', 'TopSpeedWindowing')).toBe(`vvp-namespace-1.topspeedwindowing-${hash8('TopSpeedWindowing')}`);
    expect(objectName('default', 'My Deployment Name')).toBe(`default.my-deployment-name-${hash8('My Deployment Name')}`);
  });

  it('is deterministic and tells apart names with the same slug', () => {
    expect(objectName('team', 'My Job')).toBe(objectName('team', 'My Job'));
    expect(objectName('team', 'My Job')).not.toBe(objectName('team', 'my-job'));
    expect(objectName('team', 'a')).not.toBe(objectName('other', 'a'));
  });

  it('is a valid DNS subdomain for any name, at most 253 characters', () => {
    const vns = 'v'.repeat(63);
    for (const name of ['x', 'A'.repeat(400), '日本語', '---', 'a.b.c', 'Tab\there', 'x'.repeat(253)]) {
      const n = objectName(vns, name);
      expect(isDnsSubdomain(n), n).toBe(true);
      expect(n.length).toBeLessThanOrEqual(253);
      expect(n.startsWith(`${vns}.`)).toBe(true);
    }
    expect(objectName('ns', '日本語')).toBe(`ns.${hash8('日本語')}`);
  });

  it('refuses an invalid vNamespace', () => {
    expect(() => objectName('Not_Valid', 'x')).toThrow(/invalid vNamespace name/);
  });

  it('names jobs by id', () => {
    expect(jobObjectName('team', '0B7E4F8E-6B38-4C36-9D46-6F0C1C5B2A11')).toBe('team.0b7e4f8e-6b38-4c36-9d46-6f0c1c5b2a11');
  });
});

describe('vNamespace names and resource names', () => {
  it('accepts DNS labels only', () => {
    expect(isVnsName('vvp-namespace-1')).toBe(true);
    expect(isVnsName('default')).toBe(true);
    expect(vnsNameProblem('')).toMatch(/empty/);
    expect(vnsNameProblem('Team_1')).toMatch(/DNS label/);
    expect(vnsNameProblem('-a')).toMatch(/DNS label/);
    expect(vnsNameProblem('a'.repeat(64))).toMatch(/at most 63/);
    expect(vnsNameProblem('a.b')).toMatch(/DNS label/);
  });

  it('builds and parses VVP resource names', () => {
    expect(namespaceResourceName('team')).toBe('namespaces/team');
    expect(parseNamespaceResourceName('namespaces/team')).toBe('team');
    expect(parseNamespaceResourceName('namespaces/Team')).toBeUndefined();
    expect(parseNamespaceResourceName('team')).toBeUndefined();
    expect(apiTokenResourceName('team', 'ci')).toBe('namespaces/team/apitokens/ci');
    expect(parseApiTokenResourceName('namespaces/team/apitokens/ci_token.1')).toEqual({ namespace: 'team', token: 'ci_token.1' });
    expect(parseApiTokenResourceName('namespaces/team/apitokens/')).toBeUndefined();
    expect(parseApiTokenResourceName('namespaces/team/apitokens/a b')).toBeUndefined();
  });

  it('has the API group, version and labels of ARCHITECTURE.md', () => {
    expect(API_GROUP).toBe('sluice.dev');
    expect(API_VERSION).toBe('v1alpha1');
    expect(API_GROUP_VERSION).toBe('sluice.dev/v1alpha1');
    expect(LABELS).toEqual({
      vnamespace: 'sluice.dev/vnamespace',
      id: 'sluice.dev/id',
      targetId: 'sluice.dev/target-id',
      deploymentId: 'sluice.dev/deployment-id',
      jobId: 'sluice.dev/job-id',
      kind: 'sluice.dev/kind',
    });
  });
});
