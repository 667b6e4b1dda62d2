// The library needs util.isNullOrUndefined, gone from Node.js 23+: the product restores it the same way.
import '../../src/delivery/ews-node-compat.js';
// Test helper: drafts saved the way a failing Skype for Business client leaves them (CreateItem
// SaveOnly into Drafts), through the real EWS client.
import {
  BodyType,
  EmailAddress,
  EmailMessage,
  FolderId,
  MessageBody,
  WellKnownFolderName,
} from 'ews-javascript-api';
import { client, esc } from '../sandbox/ews-client.js';

export interface SeedDraft {
  itemClass: string;
  subject: string;
  to: string[];
  from?: string;
}

export async function seedDrafts(url: string, drafts: SeedDraft[]): Promise<void> {
  const svc = client(url, { user: 'alice', password: 'pw' });
  for (const d of drafts) {
    const m = new EmailMessage(svc);
    m.ItemClass = d.itemClass;
    m.Subject = esc(d.subject);
    m.Body = new MessageBody(BodyType.HTML, esc('<p>Are you free at 3?</p>'));
    for (const t of d.to) m.ToRecipients.Add(esc(t));
    if (d.from) m.From = new EmailAddress(esc(d.from));
    await m.Save(new FolderId(WellKnownFolderName.Drafts));
  }
}
