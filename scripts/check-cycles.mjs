#!/usr/bin/env node
// Import cycles in src/: prints each one and exits 1 if there is any (`npm run cycles`, part of
// `npm run check` and CI). The same question as `npx madge --circular`, answered with the
// TypeScript compiler the project already has, so it needs no extra package. Like madge, a
// type-only import counts: it is erased at build time, but two modules that need each other's
// types are still one idea split in two. `--runtime` counts only the imports that run.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const args = process.argv.slice(2);
const root = path.resolve(args.find((a) => !a.startsWith('-')) ?? 'src');
const withTypes = !args.includes('--runtime');

function listTs(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return listTs(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The relative modules a file imports (only those that run, with --runtime). */
function importsOf(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const out = [];
  const add = (spec) => {
    if (!spec.startsWith('.')) return;
    out.push(path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts'));
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause?.isTypeOnly ||
        (clause !== undefined &&
          clause.name === undefined &&
          clause.namedBindings !== undefined &&
          ts.isNamedImports(clause.namedBindings) &&
          clause.namedBindings.elements.length > 0 &&
          clause.namedBindings.elements.every((e) => e.isTypeOnly));
      if (withTypes || !typeOnly) add(node.moduleSpecifier.text);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      if (withTypes || !node.isTypeOnly) add(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      // A dynamic import runs later, when the importer's module is already evaluated: it cannot
      // deadlock evaluation, but it is still a dependency in the design, so it counts.
      add(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

const files = listTs(root);
const graph = new Map(files.map((f) => [f, importsOf(f).filter((d) => d !== f)]));

// Tarjan's strongly connected components: every component of more than one file is a cycle.
let index = 0;
const stack = [];
const info = new Map();
const cycles = [];
function strong(v) {
  info.set(v, { index, low: index, onStack: true });
  index += 1;
  stack.push(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!info.has(w)) {
      strong(w);
      info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
    } else if (info.get(w).onStack) {
      info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
    }
  }
  if (info.get(v).low === info.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      info.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component);
  }
}
for (const f of files) if (!info.has(f)) strong(f);

const rel = (f) => path.relative(root, f).split(path.sep).join('/');
const kind = withTypes ? 'import' : 'run-time import';
if (cycles.length === 0) {
  console.log(`no ${kind} cycle in ${rel(root) || path.basename(root)}/ (${files.length} files)`);
} else {
  console.log(
    `${cycles.length} ${kind} cycle(s) in ${path.basename(root)}/ (${files.length} files):`,
  );
  for (const c of cycles) console.log(`- ${c.map(rel).sort().join(' <-> ')}`);
  process.exitCode = 1;
}
