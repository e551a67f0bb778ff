// The layering rule of src/: no folder imports from a folder that (directly or through others)
// imports it back. Folders are compared, not files: src/ itself (errors.ts, log.ts, ...) counts
// as one folder, and each subfolder as another.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const SRC = new URL('../src/', import.meta.url).pathname;

/** Every .ts file under `dir`. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The folder of a file, relative to src/ ('.' for src/ itself). */
function folderOf(file: string): string {
  return relative(SRC, dirname(file)) || '.';
}

/** Relative specifiers of static imports, re-exports and dynamic imports. */
function importsOf(text: string): string[] {
  const specifiers: string[] = [];
  for (const match of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) specifiers.push(match[1]!);
  return specifiers;
}

/** Folder → the other folders its files import from. */
export function folderGraph(files: readonly string[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const from = folderOf(file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      const to = folderOf(resolve(dirname(file), specifier));
      if (to !== from) edges.add(to);
    }
  }
  return graph;
}

/** The strongly connected components with more than one folder (Tarjan), each sorted. */
export function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) found.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

/** One line per cycle, with the edges that close it, for the failure message. */
function describe(graph: ReadonlyMap<string, ReadonlySet<string>>, component: readonly string[]): string {
  const members = new Set(component);
  const edges = component.flatMap((from) => [...graph.get(from) ?? []].filter((to) => members.has(to)).map((to) => `${from} → ${to}`));
  return edges.join(', ');
}

test('the cycle finder finds a two-folder and a three-folder cycle and nothing in a chain', () => {
  const graph = new Map<string, Set<string>>([
    ['a', new Set(['b'])], ['b', new Set(['a', 'c'])], ['c', new Set(['d'])],
    ['d', new Set(['e'])], ['e', new Set(['c'])], ['f', new Set(['a'])],
  ]);
  assert.deepEqual(cycles(graph), [['c', 'd', 'e'], ['a', 'b']]);
  assert.deepEqual(cycles(new Map([['x', new Set(['y'])], ['y', new Set(['z'])]])), []);
});

test('no folder under src/ imports from a folder that imports it', () => {
  const graph = folderGraph(sourceFiles(SRC));
  assert.ok(graph.size > 10, `expected the folders of src/, found ${[...graph.keys()].join(', ')}`);
  const found = cycles(graph);
  assert.deepEqual(found.map((component) => describe(graph, component)), []);
});

test('src/closure/ and src/layering/ are pure (the README says so): no file system, processes or network', () => {
  const impure = /\bfrom\s+['"]node:(?:fs|fs\/promises|child_process|net|http|https|worker_threads)['"]|\bfrom\s+['"]\.\.\/(?:json\/read-file|sinks|sources|steps|cli)\b/;
  const offenders = ['closure', 'layering'].flatMap((folder) => sourceFiles(join(SRC, folder)))
    .filter((file) => impure.test(readFileSync(file, 'utf8')))
    .map((file) => relative(SRC, file));
  assert.deepEqual(offenders, []);
});
