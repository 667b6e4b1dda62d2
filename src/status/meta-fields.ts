/**
 * Field-by-field checks of metadata as read from disk. The queue's reader accepts a file once its
 * frame is sound (version, id, seq, state, `attempts` a list, `groups` an object), so the daemon
 * can repair or use it; a file edited by hand or damaged on disk can still hold `null` or a number
 * where a list of addresses belongs. What `show` and `status` print goes through here: every
 * field of the right type is kept, every other one is left out and named, so one damaged field
 * hides nothing else and crashes nothing.
 */
import {
  GROUP_ORDER as GROUPS,
  type Attempt,
  type GroupName,
  type GroupProgress,
  type ItemMeta,
} from '../queue/item-meta.js';

/** One field that could not be shown: where it is, and what it held. */
export interface DamagedField {
  /** Path in the metadata file, such as `envelope.to` or `attempts[2]`. */
  field: string;
  problem: string;
}

/** Collects damage while fields are checked. */
export class Damage {
  readonly list: DamagedField[] = [];
  note(field: string, expected: string, found: unknown): void {
    this.list.push({ field, problem: `expected ${expected}, found ${describe(found)}` });
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return v.length > 40 ? 'a string' : `"${v}"`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`.slice(0, 40);
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isStrings = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string');
const isError = (v: unknown): v is { code: string; message: string } =>
  isRec(v) && typeof v.code === 'string' && typeof v.message === 'string';

const GROUP_STATUSES = ['pending', 'sending', 'unclear', 'sent', 'failed'];
const OUTCOMES = ['success', 'deferred', 'failed'];

/**
 * A check per kind of field: the value when it has the right type (absent stays absent), else
 * undefined with the damage noted.
 */
export const check = {
  text(d: Damage, field: string, v: unknown): string | undefined {
    if (v === undefined || (typeof v === 'string' && v !== '')) return v;
    d.note(field, 'a non-empty string', v);
    return undefined;
  },
  time(d: Damage, field: string, v: unknown): string | undefined {
    if (v === undefined || isTime(v)) return v;
    d.note(field, 'a date and time', v);
    return undefined;
  },
  count(d: Damage, field: string, v: unknown): number | undefined {
    if (v === undefined || (Number.isInteger(v) && (v as number) >= 0)) return v as number;
    d.note(field, 'a whole number', v);
    return undefined;
  },
  error(d: Damage, field: string, v: unknown): { code: string; message: string } | undefined {
    if (v === undefined) return undefined;
    if (isError(v)) return { code: v.code, message: v.message };
    d.note(field, 'an object with "code" and "message"', v);
    return undefined;
  },
  addresses(d: Damage, field: string, v: unknown): string[] {
    if (isStrings(v)) return v;
    d.note(field, 'a list of addresses', v);
    return [];
  },
};

/** The envelope, when its sender can be shown; a bad `to`/`cc` shows as empty and is named. */
export function checkEnvelope(d: Damage, v: unknown): ItemMeta['envelope'] {
  if (v === undefined) return undefined;
  if (!isRec(v)) return void d.note('envelope', 'an object', v);
  const from = check.text(d, 'envelope.from', v.from ?? null);
  const to = check.addresses(d, 'envelope.to', v.to);
  const cc = check.addresses(d, 'envelope.cc', v.cc ?? []);
  const subject = v.subject === undefined || typeof v.subject === 'string' ? v.subject : void d.note('envelope.subject', 'a string', v.subject); // prettier-ignore
  if (from === undefined) return undefined;
  return { from, to, cc, ...(subject !== undefined ? { subject } : {}) };
}

/** The recipient groups that are whole; each damaged one is named. */
export function checkGroups(d: Damage, v: Rec): Partial<Record<GroupName, GroupProgress>> {
  const out: Partial<Record<GroupName, GroupProgress>> = {};
  for (const [name, g] of Object.entries(v)) {
    const field = `groups.${name}`;
    if (!(GROUPS as readonly string[]).includes(name)) {
      d.note(field, `no group but ${GROUPS.map((n) => `"${n}"`).join(', ')}`, g);
      continue;
    }
    const ok =
      isRec(g) &&
      GROUP_STATUSES.includes(g.status as string) &&
      isRec(g.recipients) &&
      isStrings(g.recipients.to) &&
      isStrings(g.recipients.cc) &&
      typeof g.itemClass === 'string' &&
      (g.sentAt === undefined || isTime(g.sentAt));
    if (!ok) {
      d.note(field, 'a group with status, recipients (to, cc) and itemClass', g);
      continue;
    }
    const { status, recipients, itemClass, sentAt } = g as unknown as GroupProgress;
    out[name as GroupName] = {
      status,
      recipients: { to: recipients.to, cc: recipients.cc },
      itemClass,
      ...(sentAt !== undefined ? { sentAt } : {}),
    };
  }
  return out;
}

/** The attempts that are whole, in order; each damaged one is named by its position. */
export function checkAttempts(d: Damage, list: readonly unknown[]): Attempt[] {
  const out: Attempt[] = [];
  list.forEach((a, i) => {
    const ok =
      isRec(a) &&
      Number.isInteger(a.n) &&
      isTime(a.startedAt) &&
      typeof a.durationMs === 'number' &&
      OUTCOMES.includes(a.outcome as string) &&
      (a.group === undefined || (GROUPS as readonly unknown[]).includes(a.group)) &&
      (a.error === undefined || isError(a.error)) &&
      (a.nextAttemptAt === undefined || isTime(a.nextAttemptAt));
    if (!ok) return d.note(`attempts[${i}]`, 'an attempt with n, startedAt, durationMs and outcome', a); // prettier-ignore
    const { n, startedAt, durationMs, outcome, group, error, nextAttemptAt } = a as unknown as Attempt; // prettier-ignore
    out.push({
      n,
      startedAt,
      durationMs,
      outcome,
      ...(group !== undefined ? { group } : {}),
      ...(error !== undefined ? { error: { code: error.code, message: error.message } } : {}),
      ...(nextAttemptAt !== undefined ? { nextAttemptAt } : {}),
    });
  });
  return out;
}
