import type { ItemMeta, ItemState } from '../queue/item-meta.js';
import type { ItemKind } from '../item/spool-item.js';

/**
 * States as support staff see them: the queue's `incoming` folder is "queued", the word the
 * contract's `counts` use. Validated by schemas/status.schema.json.
 */
export const PUBLIC_STATES = [
  'queued',
  'active',
  'deferred',
  'held',
  'failed',
  'quarantined',
] as const;
export type PublicState = (typeof PUBLIC_STATES)[number];

/** What `--state` accepts: the public states and files in their grace period. */
export const FILTER_STATES = ['grace', ...PUBLIC_STATES] as const;
export type FilterState = (typeof FILTER_STATES)[number];

export const publicState = (s: ItemState): PublicState => (s === 'incoming' ? 'queued' : s);

/**
 * What an item is for, once its content was read: items queued before kinds existed are offline
 * messages. Undefined for an entry quarantined unread or unparsed (its kind is unknown).
 */
export const kindOf = (meta: {
  kind?: ItemKind | undefined;
  envelope?: ItemMeta['envelope'] | undefined;
}): ItemKind | undefined => meta.kind ?? (meta.envelope ? 'offline-im' : undefined);

/** The contract's `status --json` document. */
export interface StatusDoc {
  generatedAt: string;
  daemon: { running: boolean; pid?: number; startedAt?: string };
  counts: {
    grace: number;
    queued: number;
    active: number;
    deferred: number;
    held: number;
    failed: number;
    quarantined: number;
  };
  items: StatusItem[];
  /** Files still in their grace period in a spool folder (an extension of the contract). */
  grace: { path: string; firstSeenAt: string; dueAt: string; size: number }[];
  /**
   * What keeps the running daemon from its job (an extension of the contract): nothing to watch,
   * files it cannot take, a state folder it cannot write. Empty when all is well or no daemon runs.
   */
  problems: StatusProblem[];
  /**
   * Present when `--state` narrowed `items` and `grace`; `counts` always cover the whole queue.
   */
  filter?: { states: FilterState[] };
  /**
   * Which queue this is: the state folder and the config file it came from (null: built-in
   * defaults), so a forgotten or wrong `--config` shows at once.
   */
  readFrom?: ReadFrom;
}

/** Where a command found the queue it reports on. */
export interface ReadFrom {
  stateDir: string;
  configFile: string | null;
}

/** One open problem of the running daemon (daemon/problems.ts). */
export interface StatusProblem {
  subject: string;
  code: string;
  message: string;
  since: string;
  count: number;
}

export interface StatusItem {
  id: string;
  state: PublicState;
  /** `offline-im` or `conversation-history`; absent when the content could not be read. */
  kind?: ItemKind;
  source: string;
  from?: string;
  to: string[];
  cc: string[];
  subject?: string;
  firstSeenAt: string;
  attempts: number;
  nextAttemptAt?: string;
  lastError?: { code: string; message: string };
  heldReason?: string;
}

/** Pure: one queue item as `status` shows it. The subject is only shown by `show`. */
export function toStatusItem(meta: ItemMeta): StatusItem {
  // The reader vouches for the frame only: a field of the wrong type (a file edited by hand) is
  // left out here, as `show` does (and names); typeof checks, cheap at 100,000 items.
  const env = meta.envelope as Partial<Record<string, unknown>> | null | undefined;
  const item: StatusItem = {
    id: meta.id,
    state: publicState(meta.state),
    source: typeof meta.source === 'string' ? meta.source : '?',
    to: strings(env?.to),
    cc: strings(env?.cc),
    firstSeenAt: typeof meta.firstSeenAt === 'string' ? meta.firstSeenAt : '?',
    attempts: meta.attempts.length,
  };
  const kind: unknown = kindOf(meta);
  if (kind === 'offline-im' || kind === 'conversation-history') item.kind = kind;
  if (typeof env?.from === 'string' && env.from) item.from = env.from;
  if (
    typeof meta.nextAttemptAt === 'string' &&
    (meta.state === 'deferred' || meta.state === 'incoming')
  )
    item.nextAttemptAt = meta.nextAttemptAt;
  const lastError = errorOf(meta.lastError) ?? errorOf(meta.quarantine);
  if (lastError) item.lastError = lastError;
  if (typeof meta.heldReason === 'string' && meta.heldReason) item.heldReason = meta.heldReason;
  return item;
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];

function errorOf(v: unknown): { code: string; message: string } | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { code, message } = v as Record<string, unknown>;
  return typeof code === 'string' && typeof message === 'string' ? { code, message } : undefined;
}

const STATE_ORDER: Record<PublicState, number> = {
  active: 0,
  queued: 1,
  deferred: 2,
  held: 3,
  failed: 4,
  quarantined: 5,
};

/**
 * Pure: parses `--state` ("deferred,failed"; case and spaces don't matter; `incoming` is taken
 * for `queued`). Undefined when not given; throws a message naming what is allowed.
 */
export function parseStateFilter(value: string | undefined): FilterState[] | undefined {
  if (value === undefined) return undefined;
  const out: FilterState[] = [];
  for (const raw of value.split(',')) {
    const s = raw.trim().toLowerCase();
    if (s === '') continue;
    const name = s === 'incoming' ? 'queued' : s;
    if (!(FILTER_STATES as readonly string[]).includes(name)) {
      throw new Error(
        `--state: "${raw.trim()}" is not a state; expected one or more of ${FILTER_STATES.join(', ')}, comma-separated`,
      );
    }
    if (!out.includes(name as FilterState)) out.push(name as FilterState);
  }
  if (out.length === 0)
    throw new Error(`--state: give one or more of ${FILTER_STATES.join(', ')}, comma-separated`);
  return out;
}

/** Pure: assembles the document; items sorted by state, then oldest first. */
export function buildStatusDoc(input: {
  now: number;
  daemon: { pid: number; startedAt: string } | undefined;
  items: readonly ItemMeta[];
  grace: StatusDoc['grace'];
  problems?: StatusDoc['problems'];
  /** `--state`: only these in `items` and `grace` (counts stay whole). */
  states?: readonly FilterState[];
  readFrom?: ReadFrom;
}): StatusDoc {
  return assembleStatusDoc({ ...input, items: input.items.map(toStatusItem) });
}

/**
 * Pure: the files still in grace, given the queue as read after them. A file claimed between the
 * two reads is in both (grace.json is rewritten at most once a second): it is counted once, as
 * the queue item it has become, so `counts` never contradict `items` and `grace`.
 */
export function reconcileGrace(
  grace: readonly StatusDoc['grace'][number][],
  items: readonly Pick<StatusItem, 'source'>[],
): StatusDoc['grace'] {
  if (grace.length === 0) return [];
  const queued = new Set(items.map((i) => i.source));
  return grace.filter((g) => !queued.has(g.path));
}

/** Code-unit order: ISO timestamps and hex IDs sort as with localeCompare, many times faster. */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Pure: as buildStatusDoc, from items already made StatusItems (status makes each one as it reads
 * the item, so 100,000 whole metadata objects are never held at once). Sorts `items` in place.
 */
export function assembleStatusDoc(input: {
  now: number;
  daemon: { pid: number; startedAt: string } | undefined;
  items: StatusItem[];
  grace: StatusDoc['grace'];
  problems?: StatusDoc['problems'];
  states?: readonly FilterState[];
  readFrom?: ReadFrom;
  /**
   * The counts of the whole queue when `items` is only part of it (the `status` table of a big
   * queue, table-items.ts); otherwise they are counted from `items`.
   */
  queueCounts?: Omit<StatusDoc['counts'], 'grace'>;
}): StatusDoc {
  const counts = {
    grace: input.grace.length,
    queued: 0,
    active: 0,
    deferred: 0,
    held: 0,
    failed: 0,
    quarantined: 0,
  };
  if (input.queueCounts) Object.assign(counts, input.queueCounts);
  else for (const i of input.items) counts[i.state]++;
  const states = input.states;
  const items = states ? input.items.filter((i) => states.includes(i.state)) : input.items;
  items.sort(
    (a, b) =>
      STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
      cmp(a.firstSeenAt, b.firstSeenAt) ||
      cmp(a.id, b.id),
  );
  return {
    generatedAt: new Date(input.now).toISOString(),
    daemon: input.daemon
      ? { running: true, pid: input.daemon.pid, startedAt: input.daemon.startedAt }
      : { running: false },
    counts,
    items,
    grace: !states || states.includes('grace') ? input.grace : [],
    problems: (input.problems ?? []).map(({ subject, code, message, since, count }) => ({
      subject,
      code,
      message,
      since,
      count,
    })),
    ...(states ? { filter: { states: [...states] } } : {}),
    ...(input.readFrom ? { readFrom: input.readFrom } : {}),
  };
}
