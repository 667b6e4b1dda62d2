import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * A parsed XML element, addressed by local name: EWS requests use whatever prefixes the client
 * likes (`m:`, `t:`, `soap:`), so the sandbox never compares prefixes.
 */
export interface XmlNode {
  /** Local name (prefix stripped). */
  name: string;
  /** Attributes by local name, entities decoded. `xmlns` declarations are dropped. */
  attrs: Record<string, string>;
  children: XmlNode[];
  /** Concatenated text content of this element (not of its children), entities decoded. */
  text: string;
}

/** Raised for input that is not well-formed XML; becomes an `ErrorSchemaValidation` fault. */
export class MalformedXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedXmlError';
  }
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Entities are decoded here, exactly once, by decodeEntities: the parser's own handling leaves
  // numeric references alone and would accept undeclared entities.
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  cdataPropName: '#cdata',
  commentPropName: '#comment',
});

const ENTITY = /&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][\w.-]*);|&/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the five XML entities and character references; anything else is malformed. */
export function decodeEntities(raw: string): string {
  return raw.replace(ENTITY, (whole, ref: string | undefined) => {
    if (ref === undefined) throw new MalformedXmlError("An unescaped '&' in text or attribute.");
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!isXmlChar(code)) throw new MalformedXmlError(`Invalid character reference ${whole}.`);
      return String.fromCodePoint(code);
    }
    const named = NAMED[ref];
    if (named === undefined)
      throw new MalformedXmlError(`Reference to undeclared entity '${ref}'.`);
    return named;
  });
}

function isXmlChar(c: number): boolean {
  return (
    c === 0x9 ||
    c === 0xa ||
    c === 0xd ||
    (c >= 0x20 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd) ||
    (c >= 0x10000 && c <= 0x10ffff)
  );
}

const localName = (qname: string): string => qname.slice(qname.indexOf(':') + 1);

type RawEntry = Record<string, unknown>;

function convert(entry: RawEntry): XmlNode | undefined {
  const key = Object.keys(entry).find((k) => k !== ':@');
  if (key === undefined || key.startsWith('#') || key.startsWith('?')) return undefined;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries((entry[':@'] ?? {}) as Record<string, unknown>)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
    attrs[localName(k)] = decodeEntities(String(v));
  }
  const node: XmlNode = { name: localName(key), attrs, children: [], text: '' };
  for (const child of (entry[key] ?? []) as RawEntry[]) {
    if ('#text' in child) node.text += decodeEntities(String(child['#text']));
    else if ('#cdata' in child) node.text += cdataText(child['#cdata']);
    else {
      const c = convert(child);
      if (c) node.children.push(c);
    }
  }
  return node;
}

function cdataText(v: unknown): string {
  return Array.isArray(v) ? v.map((p) => String((p as RawEntry)['#text'] ?? '')).join('') : '';
}

/** Parses a whole document; throws MalformedXmlError for anything a real XML parser refuses. */
export function parseXml(xml: string): XmlNode {
  if (/<!DOCTYPE/i.test(xml))
    throw new MalformedXmlError('DTD is prohibited in this XML document.');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new MalformedXmlError(
      `${valid.err.msg} Line ${valid.err.line}, position ${valid.err.col}.`,
    );
  }
  const roots = (parser.parse(xml) as RawEntry[]).map(convert).filter((n) => n !== undefined);
  const root = roots[0];
  if (roots.length !== 1 || root === undefined)
    throw new MalformedXmlError('Root element missing.');
  return root;
}

/** First child with this local name. */
export const child = (node: XmlNode | undefined, name: string): XmlNode | undefined =>
  node?.children.find((c) => c.name === name);

/** All children with this local name. */
export const childrenNamed = (node: XmlNode | undefined, name: string): XmlNode[] =>
  node?.children.filter((c) => c.name === name) ?? [];
