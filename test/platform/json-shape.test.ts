import { describe, expect, it } from 'vitest';
import {
  arrayOf,
  int,
  isJsonShapeError,
  object,
  oneOf,
  optional,
  parseJson,
  parseJsonOrThrow,
  recordOf,
  str,
} from '../../src/platform/json-shape.js';

/** The checks every file, row and HTTP body from outside goes through (issue 12, item 8). */
interface Info {
  pid: number;
  role: 'daemon' | 'cli';
  folders: string[];
  version?: string;
}
const info = object<Info>({
  pid: int,
  role: oneOf('daemon', 'cli'),
  folders: arrayOf(str),
  version: optional(str),
});

describe('json shape', () => {
  it('returns the value when it fits, extra keys kept and an absent optional key left out', () => {
    const r = parseJson('{"pid":7,"role":"cli","folders":["a"],"later":true}', 'x.json', info);
    expect(r).toEqual({ ok: true, value: { pid: 7, role: 'cli', folders: ['a'], later: true } });
    expect(r.ok && 'version' in r.value).toBe(false);
  });

  it('names the source and the field that is wrong, with what it holds and what was expected', () => {
    const bad = (text: string) => {
      const r = parseJson(text, 'daemon.json', info);
      return r.ok ? 'accepted' : r.message;
    };
    expect(bad('{"pid":"7","role":"cli","folders":[]}')).toBe(
      'daemon.json: pid is "7", expected an integer',
    );
    expect(bad('{"pid":7,"role":"cli"}')).toBe('daemon.json: folders is missing, expected an array'); // prettier-ignore
    expect(bad('{"pid":7,"role":"cli","folders":["a",3]}')).toBe(
      'daemon.json: folders[1] is 3, expected a string',
    );
    expect(bad('{"pid":7,"role":"root","folders":[]}')).toBe(
      'daemon.json: role is "root", expected one of "daemon", "cli"',
    );
    expect(bad('null')).toBe('daemon.json: the value is null, expected an object');
    expect(bad('[1]')).toBe('daemon.json: the value is [1], expected an object');
    expect(bad('{"pid": 4')).toMatch(/^daemon\.json: not valid JSON \(/);
  });

  it('checks nested objects and maps, naming the path down to the bad value', () => {
    const shape = recordOf(object<{ url: string }>({ url: str }));
    const r = parseJson('{"contoso.com":{"url":"https://x"},"fabrikam.com":{}}', 'c.json', shape);
    expect(r).toEqual({ ok: false, message: 'c.json: fabrikam.com.url is missing, expected a string' }); // prettier-ignore
  });

  it('shortens a long bad value instead of repeating it whole', () => {
    const r = parseJson(JSON.stringify({ pid: 'x'.repeat(500) }), 'f', object({ pid: int }));
    expect(!r.ok && r.message.length).toBeLessThan(100);
  });

  it('parseJsonOrThrow throws a branded error with the same message', () => {
    let thrown: unknown;
    try {
      parseJsonOrThrow('{"pid":1.5}', 'hello', object({ pid: int }));
    } catch (e) {
      thrown = e;
    }
    expect(isJsonShapeError(thrown)).toBe(true);
    expect((thrown as Error).message).toBe('hello: pid is 1.5, expected an integer');
    expect(isJsonShapeError(new Error('hello: pid is 1.5'))).toBe(false);
  });
});
