import { describe, expect, it } from 'vitest';
import { describeIntakeFailure, makeIntakeProblems } from '../../src/daemon/intake-problems.js';
import { SPOOL_FILE_LOCKED } from '../../src/daemon/intake.js';
import { makeProblemBoard, PROBLEM_REPEAT_MS } from '../../src/daemon/problems.js';
import { paddedProblems, PROBLEMS_FILE_BYTES } from '../../src/daemon/publish-state.js';
import { makeMemoryEventLog } from '../../src/log/logger.js';
import { manualClock } from '../support/manual-clock.js';

const errno = (code: string) => Object.assign(new Error(`${code}: injected`), { code });

function board() {
  const { clock, jump } = manualClock(Date.parse('2026-11-24T10:00:00Z'));
  const log = makeMemoryEventLog();
  const changes: number[] = [];
  const b = makeProblemBoard({ clock, log, onChange: (l) => changes.push(l.length) });
  const lines = () => log.lines.map((l) => `${String(l.level)} ${String(l.message)}`);
  return { b, jump, lines, changes };
}

const P = { subject: '/spool', code: 'EACCES', message: 'cannot move x out of /spool' };

describe('issue 10.1: a problem is logged when it starts, at most every 15 minutes, and when over', () => {
  it('one line for a problem met on every rescan, another after 15 minutes with the count', () => {
    const t = board();
    for (let i = 0; i < 100; i++) {
      t.b.report('claim:/spool', P);
      t.jump(1000); // a rescan a second
    }
    expect(t.lines()).toEqual(['warn cannot move x out of /spool']);
    t.jump(PROBLEM_REPEAT_MS);
    t.b.report('claim:/spool', P);
    expect(t.lines()[1]).toMatch(/^warn still: cannot move x out of \/spool \(100 more time\(s\)/);
    expect(t.b.list()).toEqual([
      expect.objectContaining({ kind: 'claim', subject: '/spool', code: 'EACCES', count: 101 }),
    ]);
  });

  it('a wall clock set back does not silence it for the length of the jump', () => {
    const t = board();
    t.b.report('claim:/spool', P);
    t.jump(-3 * 3600_000);
    t.b.report('claim:/spool', P);
    expect(t.lines()).toHaveLength(2);
  });

  it('a new reason under the same key is a new problem; resolving logs once and clears', () => {
    const t = board();
    t.b.report('state:x', P);
    t.b.report('state:x', { ...P, code: 'ENOSPC', message: 'full' });
    expect(t.lines()).toEqual(['warn cannot move x out of /spool', 'warn full']);
    t.b.resolve('state:x');
    t.b.resolve('state:x');
    expect(t.lines()[2]).toBe('info resolved: full');
    expect(t.lines()).toHaveLength(3);
    expect(t.b.list()).toEqual([]);
    expect(t.changes).toEqual([1, 1, 0]);
  });
});

describe('issue 10.1: why a spool file could not be taken', () => {
  it('names the folder and the state folder, and says what to do', () => {
    const locked = describeIntakeFailure('/s/a.json', '/s', errno(SPOOL_FILE_LOCKED), '/st');
    expect(locked.key).toBe('claim:/s');
    expect(locked.problem.message).toMatch(/a\.json out of \/s.*write access to the folder/);
    for (const code of ['ENOSPC', 'EDQUOT']) {
      const full = describeIntakeFailure('/s/a.json', '/s', errno(code), '/st');
      expect(full).toMatchObject({ key: 'state:space', problem: { subject: '/st', code } });
      expect(full.problem.message).toMatch(/free/);
    }
    expect(describeIntakeFailure('/s/a', '/s', errno('EIO'), '/st').problem.subject).toBe('/st');
    expect(describeIntakeFailure('/s/a', '/s', new Error('odd'), '/st').problem).toMatchObject({
      subject: '/s',
      code: 'Unknown',
    });
    // Intake's retry-later result is described like the error it stands for.
    const refused = { kind: 'retry-later', reason: 'unreadable', code: 'EACCES', message: 'EACCES: permission denied' }; // prettier-ignore
    expect(describeIntakeFailure('/s/a.json', '/s', refused, '/st')).toMatchObject({
      key: 'intake:/s:EACCES',
      problem: { code: 'EACCES', message: expect.stringContaining('(EACCES: permission denied)') },
    });
  });

  it('a problem is over once no file fails for that reason: taken, or gone from the folder', () => {
    const log = makeMemoryEventLog();
    const b = makeProblemBoard({ clock: manualClock().clock, log });
    const p = makeIntakeProblems(b, '/st');
    p.failed('/s/a', '/s', errno(SPOOL_FILE_LOCKED));
    p.failed('/s/b', '/s', errno(SPOOL_FILE_LOCKED));
    p.failed('/s/a', '/s', errno(SPOOL_FILE_LOCKED));
    expect(b.list()).toHaveLength(1);
    p.gone('/s/a');
    expect(b.list()).toHaveLength(1);
    p.taken('/s/b');
    expect(b.list()).toHaveLength(0);
    p.failed('/s/c', '/s', errno('ENOSPC'));
    p.stateWritable();
    expect(b.list()).toHaveLength(0);
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(2);
  });
});

describe('issue 10.1: problems.json has a fixed size, so it can be rewritten on a full volume', () => {
  it('pads to the size and drops the last problems rather than grow', () => {
    const one = { kind: 'claim', subject: '/s', code: 'X', message: 'm', since: 'now', count: 1 };
    const small = paddedProblems([one]);
    expect(small.length).toBe(PROBLEMS_FILE_BYTES);
    expect(JSON.parse(small.toString('utf8'))).toEqual([one]);
    const many = Array.from({ length: 2000 }, (_, i) => ({ ...one, message: `m${i}`.repeat(20) }));
    const big = paddedProblems(many);
    expect(big.length).toBe(PROBLEMS_FILE_BYTES);
    const parsed = JSON.parse(big.toString('utf8')) as unknown[];
    expect(parsed.length).toBeGreaterThan(0);
    expect(parsed.length).toBeLessThan(many.length);
  });
});
