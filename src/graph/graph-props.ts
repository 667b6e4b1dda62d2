/** Extended properties the Graph transport sets and searches, as Graph spells their IDs. */

/** `PR_MESSAGE_CLASS` (0x001A): the item class, e.g. `IPM.Note.Microsoft.Missed`. */
export const MESSAGE_CLASS_PROPERTY = 'String 0x001A';

/**
 * `X-IMSpooler-Item-Id` as a named property in `PS_INTERNET_HEADERS`, exactly the property the EWS
 * transport sets: Exchange writes it out as the X-header, a copy sent over either transport is
 * found by the other (so a deployment can move between them with items in flight), and Graph can
 * filter on it, which it cannot do on `internetMessageHeaders`.
 */
export const ITEM_HEADER_PROPERTY =
  'String {00020386-0000-0000-C000-000000000046} Name X-IMSpooler-Item-Id';

/** `PR_MESSAGE_FLAGS` (0x0E07): `1` (read) at creation makes a saved item a record, not a draft. */
export const MESSAGE_FLAGS_PROPERTY = 'Integer 0x0E07';
/** `PR_CLIENT_SUBMIT_TIME` (0x0039) and `PR_MESSAGE_DELIVERY_TIME` (0x0E06): when it happened. */
export const CLIENT_SUBMIT_TIME_PROPERTY = 'SystemTime 0x0039';
export const DELIVERY_TIME_PROPERTY = 'SystemTime 0x0E06';

/** An OData string literal: single quotes doubled. */
export const odataString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The `$filter` finding messages whose extended property has this value. */
export const propertyFilter = (id: string, value: string): string =>
  `singleValueExtendedProperties/Any(ep: ep/id eq ${odataString(id)} and ep/value eq ${odataString(value)})`;
