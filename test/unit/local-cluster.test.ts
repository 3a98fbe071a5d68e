import { describe, expect, it } from 'vitest';
import { kubeMinorRelease } from '../../shared/local/cluster.js';

describe('the local cluster’s release', () => {
  it('is the minor release of the binary directory scripts/build-kube.sh names', () => {
    expect(kubeMinorRelease('/var/cache/sluice/kube-1.34.4/bin')).toBe('1.34');
    expect(kubeMinorRelease('/c/kube-1.35.10/bin/')).toBe('1.35');
  });

  it('refuses a directory that names no release', () => {
    expect(() => kubeMinorRelease('/usr/local/bin')).toThrow(/kube-<version>/);
  });
});
