// The library needs util.isNullOrUndefined, gone from Node.js 23+: the product restores it the same way.
import '../../src/delivery/ews-node-compat.js';
// Test helper: the real ews-javascript-api client, used the way the daemon uses it.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { XhrApi } from '@ewsjs/xhr';
import {
  BodyType,
  DefaultExtendedPropertySet,
  EmailMessage,
  ExchangeService,
  ExchangeVersion,
  ExtendedPropertyDefinition,
  FolderId,
  ItemView,
  MapiPropertyType,
  MessageBody,
  SearchFilter,
  Uri,
  WebCredentials,
  WellKnownFolderName,
  EmailAddress,
  OAuthCredentials,
} from 'ews-javascript-api';

export const HEADER = 'X-IMSpooler-Item-Id';
export const headerProp = new ExtendedPropertyDefinition(
  DefaultExtendedPropertySet.InternetHeaders,
  HEADER,
  MapiPropertyType.String,
);

/** XML-escapes a value before it goes to the library (which does not escape). */
export const esc = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  );

export function client(
  url: string,
  opts: {
    user?: string;
    password?: string;
    token?: string;
    timeoutMs?: number;
    version?: ExchangeVersion;
  } = {},
): ExchangeService {
  const svc = new ExchangeService(opts.version ?? ExchangeVersion.Exchange2013);
  svc.Credentials = opts.token
    ? new OAuthCredentials(opts.token)
    : new WebCredentials(opts.user ?? 'CONTOSO\\alice', opts.password ?? 'secret');
  svc.Url = new Uri(url);
  if (opts.timeoutMs !== undefined) svc.XHRApi = new XhrApi({ timeout: opts.timeoutMs });
  return svc;
}

export interface TestMessage {
  itemClass?: string;
  /** Raw (unescaped) values: send() escapes them unless `raw` is set. */
  subject?: string;
  html?: string;
  to?: string[];
  cc?: string[];
  from?: string;
  header?: string;
  raw?: boolean;
}

/** SendAndSaveCopy into conversationhistory, as the daemon does. */
export async function send(svc: ExchangeService, m: TestMessage = {}): Promise<void> {
  const e = m.raw ? (s: string) => s : esc;
  const msg = new EmailMessage(svc);
  msg.ItemClass = m.itemClass ?? 'IPM.Note.Microsoft.Missed';
  msg.Subject = e(m.subject ?? 'Missed conversation');
  msg.Body = new MessageBody(BodyType.HTML, e(m.html ?? '<p>Are you free at 3?</p>'));
  for (const t of m.to ?? ['bob@contoso.com']) msg.ToRecipients.Add(e(t));
  for (const c of m.cc ?? []) msg.CcRecipients.Add(e(c));
  if (m.from) msg.From = new EmailAddress(e(m.from));
  msg.SetExtendedProperty(headerProp, e(m.header ?? 'abc123/org'));
  await msg.SendAndSaveCopy(new FolderId(WellKnownFolderName.ConversationHistory));
}

/** FindItem with an IsEqualTo restriction on the header, in conversationhistory. */
export async function findByHeader(svc: ExchangeService, value: string, raw = false) {
  return svc.FindItems(
    new FolderId(WellKnownFolderName.ConversationHistory),
    new SearchFilter.IsEqualTo(headerProp, raw ? value : esc(value)),
    new ItemView(10),
  );
}

/** Runs fn and returns what it threw (the library throws non-Error objects). */
export async function thrown(fn: () => Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await fn();
  } catch (e) {
    return e as Record<string, unknown>;
  }
  throw new Error('expected a failure');
}

/** BackOffMilliseconds from a SoapFaultDetails' ErrorDetails dictionary. */
export function backOff(e: Record<string, unknown>): unknown {
  const details = e['ErrorDetails'] as { containsKey(k: string): boolean; get(k: string): unknown };
  return details.containsKey('BackOffMilliseconds')
    ? details.get('BackOffMilliseconds')
    : undefined;
}

export const tempDir = (prefix: string): Promise<string> =>
  fsp.mkdtemp(path.join(os.tmpdir(), `imspooler-${prefix}-`));

export async function emlFiles(dir: string): Promise<string[]> {
  return (await fsp.readdir(dir)).filter((f) => f.endsWith('.eml')).sort();
}
