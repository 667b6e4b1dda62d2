import type { Clock } from '../clock.js';
import type { EventLog } from '../log/event-log.js';

/**
 * A condition that keeps the daemon from doing its job (nothing to watch, a spool folder it cannot
 * take files from, a state folder it cannot write), as `status` and `/healthz` show it.
 */
export interface DaemonProblem {
  /** What it concerns: `spool` (nothing to watch), `folder`, `claim`, `intake` or `state`. */
  kind: string;
  /** The folder or file concerned (or the config key, when no folder is known). */
  subject: string;
  /** Short PascalCase reason or errno code (`NoSpoolFolder`, `EACCES`, `ENOSPC`). */
  code: string;
  /** One sentence: what is wrong, what happens meanwhile and what to do. */
  message: string;
  /** When it was first seen (ISO). */
  since: string;
  /** How often it has been seen since. */
  count: number;
}

/** A problem as reported, before the board dates and counts it. */
export type ProblemReport = Pick<DaemonProblem, 'subject' | 'code' | 'message'>;

/** Problem keys are `<kind>:<what>`. */
const kindOf = (key: string): string => key.split(':', 1)[0]!;

/** Open problems; each is logged when it appears, again at most every `repeatMs`, and when gone. */
export interface ProblemBoard {
  /** The condition under `key` holds (now, again). */
  report(key: string, problem: ProblemReport): void;
  /** The condition under `key` is over (nothing happens when it was not open). */
  resolve(key: string): void;
  /** Resolves every open problem whose key starts with `prefix`. */
  resolveAll(prefix: string): void;
  list(): DaemonProblem[];
  /**
   * Calls `listener` whenever what `list` returns changes, counts and messages included (for
   * problems.json); returns what ends the subscription.
   */
  subscribe(listener: () => void): () => void;
}

/** How often a problem that persists is logged again (it is never silent, never a flood). */
export const PROBLEM_REPEAT_MS = 15 * 60_000;

interface Open extends DaemonProblem {
  loggedAt: number;
  loggedCount: number;
}

/**
 * The one place problems are logged from, so a condition met on every rescan (every file of a
 * read-only folder, every ten seconds) is one line when it starts, one line every `repeatMs`
 * while it lasts, and one line when it is over. `onChange` hears the open list whenever it
 * changes (for `status` and the health check).
 */
export function makeProblemBoard(deps: {
  clock: Clock;
  log: EventLog;
  repeatMs?: number;
  onChange?: (problems: DaemonProblem[]) => void;
}): ProblemBoard {
  const repeatMs = deps.repeatMs ?? PROBLEM_REPEAT_MS;
  const open = new Map<string, Open>();
  const list = (): DaemonProblem[] =>
    [...open.values()].map(({ kind, subject, code, message, since, count }) => ({
      kind,
      subject,
      code,
      message,
      since,
      count,
    }));
  const listeners = new Set<() => void>();
  const updated = () => {
    for (const l of listeners) l();
  };
  const changed = () => {
    deps.onChange?.(list());
    updated();
  };
  // Under `imspooler.problem` (diagnostic lines carry their fields there).
  const fields = (p: DaemonProblem) => ({
    problem: { subject: p.subject, code: p.code, since: p.since, count: p.count },
  });

  const resolve = (key: string): void => {
    const p = open.get(key);
    if (!p) return;
    open.delete(key);
    deps.log.diag('info', `resolved: ${p.message}`, {
      problem: { ...fields(p).problem, resolved: true },
    });
    changed();
  };

  return {
    report(key, r) {
      const now = deps.clock.now();
      const p = open.get(key);
      // A different reason under the same key is a new problem (EACCES fixed, now ENOSPC).
      if (!p || p.code !== r.code || p.subject !== r.subject) {
        const fresh: Open = {
          ...r,
          kind: kindOf(key),
          since: new Date(now).toISOString(),
          count: 1,
          loggedAt: now,
          loggedCount: 1,
        };
        open.set(key, fresh);
        deps.log.diag('warn', r.message, fields(fresh));
        changed();
        return;
      }
      p.count += 1;
      p.message = r.message;
      updated();
      // A wall clock set back must not silence it for the length of the jump.
      if (now - p.loggedAt >= repeatMs || now < p.loggedAt) {
        const times = p.count - p.loggedCount;
        p.loggedAt = now;
        p.loggedCount = p.count;
        deps.log.diag(
          'warn',
          `still: ${r.message} (${times} more time(s) since the last line; first seen ${p.since})`,
          fields(p),
        );
      }
    },
    resolve,
    resolveAll(prefix) {
      for (const key of [...open.keys()]) if (key.startsWith(prefix)) resolve(key);
    },
    list,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
