/**
 * Test-only crash injection. When `IMSPOOLER_TEST_CRASH_AT` names a step (optionally
 * `step:N` for the N-th time it is reached), the process kills itself with SIGKILL exactly there,
 * so reliability tests can prove that a kill at any step loses and doubles nothing. Unset in
 * production: then this is one string comparison.
 */
const spec = process.env.IMSPOOLER_TEST_CRASH_AT;
const [target, nth] = spec ? spec.split(':') : [];
let seen = 0;

/** The steps of an item's life (and of a CLI change) where a crash can be injected. */
export type CrashStep =
  | 'claimed' // moved out of the spool folder, not yet admitted
  | 'admitted' // metadata and data written in the queue
  | 'sending-saved' // group marked `sending`, request not yet sent
  | 'answer-received' // server accepted, outcome not yet recorded
  | 'outcome-recorded' // success taken (earlier groups saved `sent`), item not yet removed
  | 'delivered' // item removed from the queue, success not yet logged
  | 'import-recovered' // 0.1.0 import: old folders repaired, transaction not yet committed
  | 'import-committed' // 0.1.0 import: committed, old folders not yet moved aside
  | 'import-moving' // 0.1.0 import: one old folder moved aside (reached once per folder)
  | 'queue-locked'; // a CLI command holds the queue lock, its change not yet written

export function crashPoint(step: CrashStep): void {
  if (step !== target) return;
  seen++;
  if (seen >= Number(nth ?? '1')) process.kill(process.pid, 'SIGKILL');
}
