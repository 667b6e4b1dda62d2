/**
 * The Microsoft Graph transport: `POST /users/{mailbox}/sendMail` with the item class
 * (`PR_MESSAGE_CLASS`) and the `X-IMSpooler-Item-Id` header as extended properties and
 * `saveToSentItems`, a message search on that property before re-sending after an unclear
 * outcome, and a folder read as the probe. A conversation-history item is not sent: it is created
 * in `mailFolders/conversationhistory/messages`, read (`PR_MESSAGE_FLAGS` 1) and dated at
 * creation, in one request.
 *
 * Why `sendMail` rather than "create a draft, then send it": one request means one outcome. With
 * two, a failure between them leaves a draft behind, and a look-up could find the unsent draft
 * and take it for the sent copy. Graph's `sendMail` cannot name the folder of the saved copy: it
 * lands in Sent Items (EWS puts it in Conversation History); the look-up searches every folder.
 */
import type { Clock } from '../clock.js';
import { DeliveryError, isDeliveryError } from '../errors/errors.js';
import { sanitise } from '../delivery/ews-errors.js';
import type { SendRequest, Transport } from '../delivery/transport.js';
import { HISTORY_FOLDER, MSGFLAG_READ } from '../delivery/transport.js';
import type { TokenSource } from './graph-auth.js';
import { fromHttp, fromNetwork, type GraphPhase } from './graph-errors.js';
import { anything, arrayOf, object, optional, parseJson, str } from '../platform/json-shape.js';
import {
  CLIENT_SUBMIT_TIME_PROPERTY,
  DELIVERY_TIME_PROPERTY,
  ITEM_HEADER_PROPERTY,
  MESSAGE_CLASS_PROPERTY,
  MESSAGE_FLAGS_PROPERTY,
  propertyFilter,
} from './graph-props.js';

/** Whose mailbox sends: the sender's own, the signed-in user's (`me`), or one named mailbox. */
export type GraphMailbox = { kind: 'sender' } | { kind: 'me' } | { kind: 'fixed'; upn: string };

/** A `$filter` look-up's answer: what matched (only whether anything did is used). */
const foundShape = object<{ value: unknown[] }>({ value: arrayOf(anything) });
/** A mail folder's `$select=displayName` answer. */
const folderShape = object<{ displayName?: string }>({ displayName: optional(str) });

/** Options of {@link makeGraphTransport}. */
export interface GraphTransportOptions {
  /** Graph's base URL, e.g. `https://graph.microsoft.com/v1.0`. */
  url: string;
  tokens: TokenSource;
  mailbox: GraphMailbox;
  /** Whole-request deadline in ms. */
  timeoutMs: number;
  /**
   * Set `from` to the spool item's sender when the mailbox is not the sender's own (default
   * true): that needs Send As rights on the sender's mailbox.
   */
  setFrom?: boolean;
  /**
   * `sendMail` is accepted (202) before the saved copy exists. A look-up that finds nothing
   * within this many ms of this process's own send waits until then and looks once more, so a
   * quick retry after an unclear outcome does not send twice (default 10 s).
   */
  settleMs?: number;
  clock?: Clock;
  fetch?: typeof fetch;
}

/** The Graph transport: `findSent` searches the sender's mailbox when the mailbox is `sender`. */
export type GraphTransport = Transport;

/** Makes the Graph transport; each failure becomes a `DeliveryError`. */
export function makeGraphTransport(opts: GraphTransportOptions): GraphTransport {
  const base = opts.url.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? fetch;
  const now = () => opts.clock?.now() ?? Date.now();
  const host = safeHost(base);
  // The mailbox each header value was sent from, for look-ups in the same run without a sender,
  // and until when a look-up that finds nothing should wait (sendMail saves its copy later).
  const sentFrom = new Map<string, { from: string; settleUntil: number }>();
  const settleMs = opts.settleMs ?? 10_000;
  const inFlight = new Set<AbortController>();
  let closed = false;

  function mailboxPath(sender: string | undefined, phase: GraphPhase): string {
    const m = opts.mailbox;
    if (m.kind === 'me') return '/me';
    const upn = m.kind === 'fixed' ? m.upn : sender;
    if (!upn) {
      throw new DeliveryError(
        'MailboxUnknown',
        `Graph ${phase}: no mailbox to use (delivery.graph.mailbox is "sender" and the sender is unknown)`,
      );
    }
    return `/users/${encodeURIComponent(upn)}`;
  }

  async function bearer(fresh: boolean): Promise<string> {
    try {
      return await opts.tokens.token(fresh);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new DeliveryError('TokenUnavailable', `could not obtain a Graph token: ${sanitise(msg)}`); // prettier-ignore
    }
  }

  /** One request; a 401 fetches a fresh token and tries once more (nothing was done on a 401). */
  async function call(
    phase: GraphPhase,
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<{ status: number; text: string }> {
    if (closed) throw new DeliveryError('TransportClosed', 'the Graph transport is closed');
    if (signal?.aborted) throw new DeliveryError('Aborted', `Graph ${phase} abandoned before it started`); // prettier-ignore
    for (let attempt = 0; ; attempt++) {
      const token = await bearer(attempt > 0);
      const ctl = new AbortController();
      inFlight.add(ctl);
      let why: 'timeout' | 'aborted' | undefined;
      const timer = setTimeout(() => ((why = 'timeout'), ctl.abort()), opts.timeoutMs);
      const onAbort = () => ((why ??= 'aborted'), ctl.abort());
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const res = await doFetch(`${base}${path}`, {
          method,
          headers: {
            Authorization: `Bearer ${token}`,
            Accept: 'application/json',
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: ctl.signal,
        });
        const text = await res.text();
        if (res.ok) return { status: res.status, text };
        if (res.status === 401 && attempt === 0) continue;
        throw fromHttp(res.status, text, res.headers.get('retry-after'), phase, now());
      } catch (e) {
        if (isDeliveryError(e)) throw e;
        throw fromNetwork(e, phase, why ?? (closed ? 'aborted' : undefined));
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        inFlight.delete(ctl);
      }
    }
  }

  const address = (a: string) => ({ emailAddress: { address: a } });

  /**
   * A conversation-history item: created (never sent) in the mailbox's Conversation History.
   * The request answers 201 with the item, which exists from then on: nothing to settle.
   */
  async function saveHistory(req: SendRequest, at: string, signal?: AbortSignal): Promise<void> {
    const path = mailboxPath(req.from, 'send');
    const message = {
      subject: req.subject,
      body: { contentType: 'HTML', content: req.html },
      from: address(req.from),
      toRecipients: req.to.map(address),
      ...(req.cc.length ? { ccRecipients: req.cc.map(address) } : {}),
      singleValueExtendedProperties: [
        { id: MESSAGE_CLASS_PROPERTY, value: req.itemClass },
        { id: MESSAGE_FLAGS_PROPERTY, value: String(MSGFLAG_READ) },
        { id: CLIENT_SUBMIT_TIME_PROPERTY, value: at },
        { id: DELIVERY_TIME_PROPERTY, value: at },
        { id: ITEM_HEADER_PROPERTY, value: req.headerValue },
      ],
    };
    sentFrom.set(req.headerValue, { from: req.from, settleUntil: 0 });
    await call('send', 'POST', `${path}/mailFolders/${HISTORY_FOLDER}/messages`, message, signal);
  }

  return {
    name: 'graph',
    async send(req: SendRequest, signal?: AbortSignal) {
      if (req.history) return saveHistory(req, req.history.conversationAt, signal);
      const path = mailboxPath(req.from, 'send');
      const ownMailbox = opts.mailbox.kind === 'sender';
      const message = {
        subject: req.subject,
        body: { contentType: 'HTML', content: req.html },
        toRecipients: req.to.map(address),
        ccRecipients: req.cc.map(address),
        ...(!ownMailbox && opts.setFrom !== false && req.from ? { from: address(req.from) } : {}),
        singleValueExtendedProperties: [
          { id: MESSAGE_CLASS_PROPERTY, value: req.itemClass },
          { id: ITEM_HEADER_PROPERTY, value: req.headerValue },
        ],
      };
      sentFrom.set(req.headerValue, { from: req.from, settleUntil: now() + settleMs });
      await call('send', 'POST', `${path}/sendMail`, { message, saveToSentItems: true }, signal);
    },
    async findSent(headerValue: string, signal?: AbortSignal, sender?: string) {
      const mine = sentFrom.get(headerValue);
      const path = mailboxPath(sender ?? mine?.from, 'find');
      const filter = encodeURIComponent(propertyFilter(ITEM_HEADER_PROPERTY, headerValue));
      const look = async () => {
        const { text } = await call('find', 'GET', `${path}/messages?$filter=${filter}&$select=id&$top=1`, undefined, signal); // prettier-ignore
        const found = parseJson(text, `Graph find: the answer of ${host}`, foundShape);
        if (!found.ok) throw new DeliveryError('InvalidResponse', found.message);
        return found.value.value.length > 0;
      };
      if (await look()) return true;
      const wait = mine ? mine.settleUntil - now() : 0;
      if (wait <= 0) return false;
      await pause(wait, signal);
      return look();
    },
    async probe(signal?: AbortSignal) {
      const token = await bearer(false).then(() => opts.tokens.description);
      if (opts.mailbox.kind === 'sender') {
        return `${host}: token obtained, ${token}; mailboxes are the senders' own (none probed)`;
      }
      const path = mailboxPath(undefined, 'probe');
      // Sent Items (where sendMail keeps its copies) and Conversation History (where history
      // items are saved): both must be reachable.
      const names: string[] = [];
      for (const [folder, fallback] of [
        ['sentitems', 'Sent Items'],
        [HISTORY_FOLDER, 'Conversation History'],
      ] as const) {
        // prettier-ignore
        const { text } = await call('probe', 'GET', `${path}/mailFolders/${folder}?$select=displayName`, undefined, signal); // prettier-ignore
        // The status said success; the folder name is only decoration.
        const folderInfo = parseJson(text, folder, folderShape);
        names.push(`"${(folderInfo.ok ? folderInfo.value.displayName : undefined) ?? fallback}"`);
      }
      return `${host}: ${token}; ${path === '/me' ? 'signed-in mailbox' : decodeURIComponent(path.slice(7))} folders ${names.join(' and ')} reachable`;
    },
    async close() {
      closed = true;
      for (const c of inFlight) c.abort();
    },
  };
}

/** Waits, unless the signal ends it first (then the look-up that follows fails as aborted). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** Scheme, host and port only. */
function safeHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'Graph';
  }
}
