import { makeDraftsClient } from '../../drafts/drafts-client.js';
import { draftsConnection } from '../../drafts/drafts-connection.js';
import { renderDraftsTable, resolveDraft, type DraftsDoc } from '../../drafts/drafts-model.js';
import { isDeliveryError, UsageError } from '../../errors/errors.js';
import { makeEventLog } from '../../log/logger.js';
import { loadCommandConfig, type CommandContext } from '../context.js';
import { requestingUser } from './control.js';

/**
 * `imspooler drafts list [--json]`, `drafts send ID`, `drafts delete ID`: offline conversations a
 * failed client left in the mailbox's Drafts folder (see docs/drafts.md). Send and delete are logged.
 */
export async function draftsCommand(
  ctx: CommandContext,
  action: string,
  id: string | undefined,
  opts: { json?: boolean },
): Promise<number> {
  if (!['list', 'send', 'delete'].includes(action)) {
    throw new UsageError(`drafts: unknown action "${action}"; expected list, send or delete`);
  }
  if (action !== 'list' && !id) throw new UsageError(`drafts ${action} needs a draft ID (see "imspooler drafts list")`); // prettier-ignore
  const config = await loadCommandConfig(ctx);
  const conn = await draftsConnection(config, ctx.env);
  const client = makeDraftsClient(conn.client);
  const server = new URL(conn.client.url).origin;
  try {
    const drafts = await client.list();
    if (action === 'list') {
      const doc: DraftsDoc = { generatedAt: new Date().toISOString(), server, drafts };
      ctx.out(opts.json ? JSON.stringify(doc, null, 2) : renderDraftsTable(doc));
      return 0;
    }
    const draft = resolveDraft(drafts, id!);
    const log = makeEventLog({ level: config.log.level, file: config.log.file, stdout: false, addresses: config.log.addresses, secrets: () => conn.secrets }); // prettier-ignore
    const user = requestingUser(ctx.env);
    const what = action === 'send' ? 'drafts.sent' : 'drafts.deleted';
    // Who and what, never the subject or body.
    const fields = { extra: { draft_id: draft.id, item_class: draft.itemClass, from: draft.from, to: draft.to, created_at: draft.createdAt, user } }; // prettier-ignore
    try {
      if (action === 'send') await client.send(draft.itemId);
      else await client.remove(draft.itemId);
      const done = action === 'send' ? 'sent (copy saved in Conversation History)' : 'moved to Deleted Items'; // prettier-ignore
      log.event(what, 'success', `stuck draft ${done} by ${user}`, fields);
      ctx.out(`${draft.id.slice(0, 12)}: ${done}`);
      return 0;
    } catch (e) {
      const error = isDeliveryError(e) ? { code: e.code, message: e.message } : { code: 'Unknown', message: String(e) }; // prettier-ignore
      log.event(what, 'failure', `could not ${action} stuck draft (asked by ${user})`, { ...fields, level: 'error', error }); // prettier-ignore
      throw e;
    } finally {
      await log.close();
    }
  } finally {
    await client.close();
  }
}
