import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.js';
import { policyHoldReason } from '../../src/daemon/policy.js';

const base = { delivery: { transport: 'sandbox' } };

describe('policy switches', () => {
  it('default to allowing offline messages', () => {
    const r = parseConfig(base, { baseDir: '/etc/imspooler' });
    expect(r.ok && r.config.policy).toEqual({ offlineIm: true, imAutoArchiving: true });
    expect(r.ok && policyHoldReason(r.config.policy)).toBeUndefined();
  });

  it('name the server switch that holds items', () => {
    expect(policyHoldReason({ offlineIm: false, imAutoArchiving: true })).toMatch(
      /EnableOfflineIM/,
    );
    expect(policyHoldReason({ offlineIm: true, imAutoArchiving: false })).toMatch(
      /EnableIMAutoArchiving/,
    );
  });

  it('reject anything but booleans, naming the key', () => {
    const r = parseConfig(
      { ...base, policy: { offlineIm: 'no', imAutoArchive: true } },
      { baseDir: '/x' },
    );
    expect(r.ok).toBe(false);
    const keys = r.ok ? [] : r.problems.map((p) => p.key);
    expect(keys).toContain('policy.offlineIm');
    expect(keys).toContain('policy.imAutoArchive');
  });
});
