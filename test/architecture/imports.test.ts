/**
 * Layer rules of the import graph of src/, read from the files as text (cycles are
 * `npm run cycles`'s). Only imports that run count: `import type` and all-`type` name lists are
 * erased by tsc.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it, expect } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

const STATIC_IMPORT = /^(?:import|export)\s+(type\s+)?([^;]*?)\s+from\s+'([^']+)';/gm;

/** The modules a file loads when it runs: relative ones as absolute .ts paths, packages by name. */
function runtimeImports(file: string): string[] {
  const out: string[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
    const [, typeOnly, names = '', spec = ''] = m;
    if (typeOnly) continue;
    const list = /^\{([\s\S]*)\}$/.exec(names.trim());
    const named = list?.[1]
      ?.split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '');
    if (named && named.length > 0 && named.every((n) => n.startsWith('type '))) continue;
    out.push(spec.startsWith('.') ? resolve(dirname(file), spec.replace(/\.js$/, '.ts')) : spec);
  }
  return out;
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, runtimeImports(f)]));
const name = (f: string) => relative(SRC, f).split(sep).join('/');

function closure(from: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...from];
  while (todo.length > 0) {
    const f = todo.pop() as string;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...(graph.get(f) ?? []));
  }
  return seen;
}

describe('the import graph of src/', () => {
  it('is read from every source file', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it('keeps config pure: checking a config never loads the log layer or winston', () => {
    const loaded = [...closure(files.filter((f) => name(f).startsWith('config/')))];
    const log = loaded.filter((m) =>
      graph.has(m) ? name(m).startsWith('log/') : /winston/.test(m),
    );
    expect(log.map((m) => (graph.has(m) ? name(m) : m))).toEqual([]);
  });
});
