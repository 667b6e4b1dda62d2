/**
 * Parsing `m:SendItem` and `m:DeleteItem` (what `imspooler drafts send|delete` asks of the
 * sandbox): pure, used by the request parser; carrying them out is `item-actions.ts`'s.
 */
import { SchemaViolation } from '../schema-violation.js';
import { child, childrenNamed, type XmlNode } from '../xml-tree.js';

/** A parsed SendItem or DeleteItem. */
export type ItemAction =
  | { op: 'SendItem'; itemIds: string[]; saveCopy: boolean; savedFolder: string | undefined }
  | { op: 'DeleteItem'; itemIds: string[]; deleteType: 'HardDelete' | 'SoftDelete' | 'MoveToDeletedItems' }; // prettier-ignore

const DELETE_TYPES = new Set(['HardDelete', 'SoftDelete', 'MoveToDeletedItems']);

function itemIds(op: XmlNode): string[] {
  const list = child(op, 'ItemIds');
  if (!list) throw new SchemaViolation(`The element '${op.name}' has incomplete content: 'ItemIds' expected.`); // prettier-ignore
  return childrenNamed(list, 'ItemId').map((n) => {
    const id = n.attrs['Id'];
    if (!id) throw new SchemaViolation("The required attribute 'Id' is missing.");
    return id;
  });
}

/** Parses `m:SendItem` / `m:DeleteItem`. Throws SchemaViolation like the rest of the parser. */
export function parseItemAction(op: XmlNode): ItemAction {
  if (op.name === 'SendItem') {
    const save = op.attrs['SaveItemToFolder'];
    if (save !== 'true' && save !== 'false') throw new SchemaViolation("The required attribute 'SaveItemToFolder' is missing or invalid."); // prettier-ignore
    const folder = child(child(op, 'SavedItemFolderId'), 'DistinguishedFolderId')?.attrs['Id'];
    return { op: 'SendItem', itemIds: itemIds(op), saveCopy: save === 'true', savedFolder: folder };
  }
  const type = op.attrs['DeleteType'] ?? '';
  if (!DELETE_TYPES.has(type)) throw new SchemaViolation(`The 'DeleteType' attribute is invalid: '${type}'.`); // prettier-ignore
  return { op: 'DeleteItem', itemIds: itemIds(op), deleteType: type as 'HardDelete' };
}
