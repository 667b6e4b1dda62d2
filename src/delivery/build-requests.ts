import type { GroupName } from '../queue/item-meta.js';
import type { RecipientGroup } from './recipients.js';
import type { SendRequest } from './transport.js';

/** The groups in the order they are sent: the organisation's copy first. */
const GROUP_ORDER: readonly GroupName[] = ['org', 'fed'];

/** The parts of a spool item a send request needs. */
export interface SendableItem {
  id: string;
  from: string;
  to: string[];
  cc: string[];
}

/**
 * One send request per recipient group that has recipients. Each carries the header value
 * `<itemId>/<group>`, so that the saved copy of each group can be found on its own. Values are
 * left unescaped: the transport escapes them.
 */
export function buildSendRequests(
  item: SendableItem,
  subject: string,
  html: string,
  groups: Partial<Record<GroupName, RecipientGroup>>,
): SendRequest[] {
  const requests: SendRequest[] = [];
  for (const group of GROUP_ORDER) {
    const g = groups[group];
    if (!g || g.to.length + g.cc.length === 0) continue;
    requests.push({
      itemId: item.id,
      group,
      itemClass: g.itemClass,
      from: item.from,
      to: [...g.to],
      cc: [...g.cc],
      subject,
      html,
      headerValue: `${item.id}/${group}`,
    });
  }
  return requests;
}
