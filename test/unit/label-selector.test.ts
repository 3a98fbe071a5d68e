import { describe, expect, it } from 'vitest';
import { matchesSelector, parseLabelSelector } from '../../shared/vvp/label-selector.js';

const selects = (selector: string, labels: Record<string, string>) => matchesSelector(parseLabelSelector(selector), labels);

describe('label selectors', () => {
  it('matches equality, inequality, sets and existence as Kubernetes does', () => {
    const labels = { env: 'prod', team: 'a', 'example.com/tier': 'web' };
    expect(selects('', labels)).toBe(true);
    expect(selects('env=prod', labels)).toBe(true);
    expect(selects('env==prod,team=a', labels)).toBe(true);
    expect(selects('env=prod,team=b', labels)).toBe(false);
    expect(selects('env!=dev', labels)).toBe(true);
    expect(selects('missing!=x', labels)).toBe(true);
    expect(selects('team in (a, b)', labels)).toBe(true);
    expect(selects('team notin (a,b)', labels)).toBe(false);
    expect(selects('example.com/tier', labels)).toBe(true);
    expect(selects('!example.com/tier', labels)).toBe(false);
    expect(selects('!legacy, env in (prod)', labels)).toBe(true);
    expect(selects('env', {})).toBe(false);
  });

  it('refuses a malformed selector, naming the part at fault', () => {
    expect(() => parseLabelSelector('env=prod,,team=a')).toThrow(/empty requirement/);
    expect(() => parseLabelSelector('env=pr od')).toThrow(/not a valid label key|not a valid label value/);
    expect(() => parseLabelSelector('-bad=x')).toThrow(/'-bad' is not a valid label key/);
    expect(() => parseLabelSelector('team in (a,b c)')).toThrow(/'b c' is not a valid label value/);
  });
});
