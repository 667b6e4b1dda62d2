import type { Config } from '../config/config-types.js';

/**
 * Pure: why the configured policy forbids sending, or undefined when it allows it. Mirrors the
 * server (`EnableOfflineIM`) and client policy (`EnableIMAutoArchiving`): with either off, the real
 * client would send no offline message, so neither does imspooler; items wait, held.
 */
export function policyHoldReason(policy: Config['policy']): string | undefined {
  if (!policy.offlineIm) {
    return 'policy.offlineIm is false (the server has EnableOfflineIM off): held, not sent';
  }
  if (!policy.imAutoArchiving) {
    return 'policy.imAutoArchiving is false (the client policy has EnableIMAutoArchiving off): held, not sent';
  }
  return undefined;
}
