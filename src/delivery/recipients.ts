import type { GroupName } from '../queue/item-meta.js';
import { isOrganization } from '../item/addresses.js';
import type { SpoolItem } from '../item/spool-item.js';
import { historyGroup } from './history.js';
import { FED_ITEM_CLASS, ORG_ITEM_CLASS } from './transport.js';

/** The recipients of one group and the item class their copy gets. */
export interface RecipientGroup {
  to: string[];
  cc: string[];
  itemClass: string;
}

/**
 * Splits an item's recipients into the organisation group (missed-conversation item class) and the
 * federated group (plain e-mail). Addresses are deduplicated case-insensitively, keeping the first
 * spelling; an address in both `to` and `cc` stays in `to` only. Groups without recipients are left
 * out, so the result may be empty when every address is blank.
 */
export function groupRecipients(
  to: readonly string[],
  cc: readonly string[],
  orgDomains: readonly string[],
): Partial<Record<GroupName, RecipientGroup>> {
  const seen = new Set<string>();
  const groups: Partial<Record<GroupName, RecipientGroup>> = {};
  const add = (field: 'to' | 'cc', raw: string): void => {
    const address = raw.trim();
    const key = address.toLowerCase();
    if (address === '' || seen.has(key)) return;
    seen.add(key);
    const name: GroupName = isOrganization(address, orgDomains) ? 'org' : 'fed';
    const group = (groups[name] ??= {
      to: [],
      cc: [],
      itemClass: name === 'org' ? ORG_ITEM_CLASS : FED_ITEM_CLASS,
    });
    group[field].push(address);
  };
  // All of `to` first, so that a duplicate in `cc` is the one dropped.
  for (const a of to) add('to', a);
  for (const a of cc) add('cc', a);
  return groups;
}

/**
 * The groups an item is delivered in: `org` and `fed` for an offline message, the one `history`
 * group for a conversation-history item (saved, never routed to anyone).
 */
export function deliveryGroups(
  item: Pick<SpoolItem, 'kind' | 'from' | 'to' | 'cc'>,
  orgDomains: readonly string[],
): Partial<Record<GroupName, RecipientGroup>> {
  if (item.kind === 'conversation-history') return { history: historyGroup(item) };
  return groupRecipients(item.to, item.cc, orgDomains);
}
