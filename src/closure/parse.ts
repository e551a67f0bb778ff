// Reading the closure graph Nix writes for `exportReferencesGraph`: the JSON array of
// `__structuredAttrs` builds, or the legacy plain-text registration format.
import { UserError } from '../errors.ts';
import { createClosureGraph, type ClosureGraph, type ClosureNode } from './graph.ts';

/** Where the text came from (for error messages) and the store dir its paths must be under. */
export interface ParseClosureOptions {
  readonly source: string;
  readonly storeDir?: string;
}

function fail(source: string, what: string): never {
  throw new UserError('closure-graph', `${source}: ${what}`);
}

/** Parses a closure graph given as JSON (an array of path infos) or in the legacy text format. */
export function parseClosureGraph(text: string, options: ParseClosureOptions): ClosureGraph {
  const start = text.trimStart();
  if (start.startsWith('[') || start.startsWith('{')) return closureGraphFromJson(parseJson(text, options.source), options);
  return createClosureGraph(parseLegacyText(text, options.source), options);
}

/** Parses the text of a `.attrs.json` file and takes the graph named `name` out of it. */
export function parseClosureAttrs(text: string, name: string, options: ParseClosureOptions): ClosureGraph {
  return closureGraphFromAttrs(parseJson(text, options.source), name, options);
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // V8 quotes the text around the error, newlines included; the message must stay one line.
    const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
    return fail(source, `malformed JSON (${reason}); expected what Nix writes for exportReferencesGraph`);
  }
}

/** Takes the graph named `name` out of a parsed `.attrs.json` object (`exportReferencesGraph.<name>`). */
export function closureGraphFromAttrs(attrs: unknown, name: string, options: ParseClosureOptions): ClosureGraph {
  if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) {
    fail(options.source, 'expected a JSON object (the .attrs.json of a __structuredAttrs build)');
  }
  if (!Object.hasOwn(attrs, name)) {
    fail(options.source, `no attribute ${JSON.stringify(name)}; set exportReferencesGraph.${name} in the derivation`);
  }
  return closureGraphFromJson((attrs as Record<string, unknown>)[name], { ...options, source: `${options.source} attribute ${name}` });
}

/** Validates an already parsed JSON graph value (an array of {path, narSize, references, …}). */
export function closureGraphFromJson(value: unknown, options: ParseClosureOptions): ClosureGraph {
  const { source } = options;
  if (!Array.isArray(value)) {
    const hint = kindOf(value) === 'an object' ? ' (for a whole .attrs.json, name the attribute that holds the graph)' : '';
    fail(source, `expected a JSON array of path infos, got ${kindOf(value)}${hint}`);
  }
  const nodes = value.map((entry: unknown, i): ClosureNode => {
    const at = `entry ${i}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(source, `${at}: expected an object, got ${kindOf(entry)}`);
    const e = entry as Record<string, unknown>;
    const path = e.path;
    if (typeof path !== 'string') fail(source, `${at}: field "path" must be a string, got ${kindOf(path)}`);
    const narSize = e.narSize;
    if (typeof narSize !== 'number' || !Number.isSafeInteger(narSize) || narSize < 0) {
      fail(source, `${at} (${path}): field "narSize" must be a non-negative integer, got ${kindOf(narSize)}`);
    }
    const references = e.references;
    if (!Array.isArray(references) || !references.every((r) => typeof r === 'string')) {
      fail(source, `${at} (${path}): field "references" must be an array of strings, got ${kindOf(references)}`);
    }
    if (e.narHash !== undefined && typeof e.narHash !== 'string') fail(source, `${at} (${path}): field "narHash" must be a string, got ${kindOf(e.narHash)}`);
    if (e.closureSize !== undefined && typeof e.closureSize !== 'number') {
      fail(source, `${at} (${path}): field "closureSize" must be a number, got ${kindOf(e.closureSize)}`);
    }
    return {
      path,
      narSize,
      references: references as string[],
      ...(typeof e.narHash === 'string' ? { narHash: e.narHash } : {}),
      ...(typeof e.closureSize === 'number' ? { closureSize: e.closureSize } : {}),
    };
  });
  return createClosureGraph(nodes, options);
}

// Legacy format (`nix-store --query --graph`-era registration text): for each path, the path,
// its deriver (possibly empty), the reference count, then that many reference lines.
// It carries no sizes, so narSize is 0 for every node.
function parseLegacyText(text: string, source: string): ClosureNode[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const nodes: ClosureNode[] = [];
  let at = 0;
  while (at < lines.length) {
    const path = lines[at]!;
    if (path === '') fail(source, `line ${at + 1}: expected a store path, got an empty line`);
    if (at + 2 >= lines.length) fail(source, `line ${at + 1}: entry for ${path} is truncated (needs a deriver line and a reference count)`);
    const countText = lines[at + 2]!;
    if (!/^\d+$/.test(countText)) fail(source, `line ${at + 3}: reference count of ${path} must be a non-negative integer, got ${JSON.stringify(countText)}`);
    const count = Number(countText);
    const references = lines.slice(at + 3, at + 3 + count);
    if (references.length < count) fail(source, `line ${at + 3}: ${path} announces ${count} references but the file ends after ${references.length}`);
    nodes.push({ path, narSize: 0, references });
    at += 3 + count;
  }
  return nodes;
}

function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

