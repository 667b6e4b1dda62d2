import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** Throws with the parser's message when `xml` is not well-formed. */
export function assertWellFormed(xml: string): void {
  const result = XMLValidator.validate(xml);
  if (result !== true) throw new Error(`not well-formed: ${JSON.stringify(result.err)}`);
}

/** Parses an XML document into plain objects, keeping every value a string. */
export function parseXml(xml: string): Record<string, unknown> {
  assertWellFormed(xml);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
    parseAttributeValue: false,
  });
  return parser.parse(xml) as Record<string, unknown>;
}

type Ordered = Record<string, unknown>[];

function plistValue(node: Record<string, unknown>): unknown {
  const tag = Object.keys(node).find((k) => k !== ':@');
  if (tag === undefined) throw new Error('empty plist node');
  const children = (node[tag] ?? []) as Ordered;
  const text = () => children.map((c) => String(c['#text'] ?? '')).join('');
  switch (tag) {
    case 'string':
      return text();
    case 'integer':
      return Number(text());
    case 'true':
      return true;
    case 'false':
      return false;
    case 'array':
      return children.map(plistValue);
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < children.length; i += 2) {
        const keyNode = children[i] as Record<string, unknown>;
        const valueNode = children[i + 1];
        if (!('key' in keyNode) || valueNode === undefined)
          throw new Error('dict is not key/value pairs');
        out[plistValue({ string: keyNode.key }) as string] = plistValue(valueNode);
      }
      return out;
    }
    default:
      throw new Error(`unexpected plist element <${tag}>`);
  }
}

/** Reads an XML property list into plain values, keeping the key/value pairing of each dict. */
export function parsePlist(xml: string): Record<string, unknown> {
  assertWellFormed(xml);
  const parser = new XMLParser({ preserveOrder: true, parseTagValue: false, trimValues: true });
  const doc = parser.parse(xml) as Ordered;
  const plist = doc.find((n) => 'plist' in n);
  if (plist === undefined) throw new Error('no <plist> element');
  const root = (plist.plist as Ordered)[0];
  if (root === undefined) throw new Error('empty <plist>');
  return plistValue(root) as Record<string, unknown>;
}
