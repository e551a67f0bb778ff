import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClosureGraph, parseClosureAttrs, closureGraphFromAttrs } from '../../src/closure/parse.ts';
import { UserError } from '../../src/errors.ts';

const a = '/nix/store/aaaa-glibc-2.40';
const b = '/nix/store/bbbb-libidn2';
const c = '/nix/store/cccc-hello-2.12';
const source = '/build/.attrs.json';

const json = JSON.stringify([
  { path: c, narSize: 300, narHash: 'sha256:x', closureSize: 330, references: [a, c], deriver: '/nix/store/d.drv', ca: null },
  { path: a, narSize: 10, narHash: 'sha256:y', closureSize: 30, references: [a, b] },
  { path: b, narSize: 20, narHash: 'sha256:z', closureSize: 20, references: [] },
]);

test('JSON: sorted by path, self-references dropped, extra keys allowed', () => {
  const g = parseClosureGraph(json, { source });
  assert.deepEqual(g.nodes.map((n) => n.path), [a, b, c]);
  assert.deepEqual(g.nodes.map((n) => n.references), [[b], [], [a]]);
  assert.deepEqual(g.nodes.map((n) => n.narSize), [10, 20, 300]);
  assert.equal(g.nodes[2]!.narHash, 'sha256:x');
  assert.equal(g.nodes[2]!.closureSize, 330);
  assert.deepEqual(g.refs, [[1], [], [0]]);
  assert.deepEqual(g.users, [[2], [0], []]);
});

test('legacy text format: path, deriver, count, references', () => {
  const text = [c, '/nix/store/d-hello.drv', '2', a, c, a, '', '1', b, b, '', '0', ''].join('\n');
  const g = parseClosureGraph(text, { source: 'closure' });
  assert.deepEqual(g.nodes.map((n) => [n.path, n.references, n.narSize]), [[a, [b], 0], [b, [], 0], [c, [a], 0]]);
});

test('attrs helper takes the named graph out of .attrs.json', () => {
  const attrs = { closure: JSON.parse(json), outputs: { out: '/nix/store/out' } };
  assert.equal(closureGraphFromAttrs(attrs, 'closure', { source }).nodes.length, 3);
  assert.equal(closureGraphFromAttrs({ closure: [] }, 'closure', { source }).nodes.length, 0);
  assert.equal(parseClosureAttrs(JSON.stringify(attrs), 'closure', { source }).nodes.length, 3);
  assert.throws(() => parseClosureAttrs('{', 'closure', { source }), /^UserError: \/build\/\.attrs\.json: malformed JSON/);
});

test('errors name the file and what is wrong', () => {
  const entry = (over: Record<string, unknown>) => JSON.stringify([{ path: a, narSize: 1, references: [], ...over }]);
  const cases: [string, () => unknown, string | RegExp][] = [
    ['malformed JSON', () => parseClosureGraph('[{"path": ', { source }), /^\/build\/\.attrs\.json: malformed JSON \(.*\); expected what Nix writes for exportReferencesGraph$/],
    ['not an array', () => parseClosureGraph('{"a": 1}', { source }), `${source}: expected a JSON array of path infos, got an object (for a whole .attrs.json, name the attribute that holds the graph)`],
    ['entry not an object', () => parseClosureGraph('[1]', { source }), `${source}: entry 0: expected an object, got the number 1`],
    ['missing path', () => parseClosureGraph(JSON.stringify([{ narSize: 1, references: [] }]), { source }), `${source}: entry 0: field "path" must be a string, got nothing (missing)`],
    ['ill-typed narSize', () => parseClosureGraph(entry({ narSize: '1' }), { source }), `${source}: entry 0 (${a}): field "narSize" must be a non-negative integer, got the string "1"`],
    ['negative narSize', () => parseClosureGraph(entry({ narSize: -1 }), { source }), `${source}: entry 0 (${a}): field "narSize" must be a non-negative integer, got the number -1`],
    ['missing references', () => parseClosureGraph(entry({ references: undefined }), { source }), `${source}: entry 0 (${a}): field "references" must be an array of strings, got nothing (missing)`],
    ['reference not a string', () => parseClosureGraph(entry({ references: [1] }), { source }), `${source}: entry 0 (${a}): field "references" must be an array of strings, got an array`],
    ['narHash ill-typed', () => parseClosureGraph(entry({ narHash: 5 }), { source }), `${source}: entry 0 (${a}): field "narHash" must be a string, got the number 5`],
    ['dangling reference', () => parseClosureGraph(entry({ references: [b] }), { source }), `${source}: ${a} references ${b}, which is missing from the graph; the graph must be closed under references`],
    ['duplicate path', () => parseClosureGraph(JSON.stringify([{ path: a, narSize: 1, references: [] }, { path: a, narSize: 1, references: [] }]), { source }), `${source}: duplicate path ${a}; each store path must appear once`],
    ['outside the store', () => parseClosureGraph(entry({ path: '/tmp/x' }), { source }), `${source}: path "/tmp/x" is not under the store dir /nix/store; pass the store dir the graph was made with`],
    ['other store dir', () => parseClosureGraph(entry({}), { source, storeDir: '/gnu/store' }), `${source}: path "${a}" is not under the store dir /gnu/store; pass the store dir the graph was made with`],
    ['attrs without the name', () => closureGraphFromAttrs({ other: [] }, 'closure', { source }), `${source}: no attribute "closure"; set exportReferencesGraph.closure in the derivation`],
    ['attrs graph with a bad entry', () => closureGraphFromAttrs({ closure: [null] }, 'closure', { source }), `${source} attribute closure: entry 0: expected an object, got null`],
    ['legacy bad count', () => parseClosureGraph(`${a}\n\nx\n`, { source: 'g' }), 'g: line 3: reference count of /nix/store/aaaa-glibc-2.40 must be a non-negative integer, got "x"'],
    ['legacy truncated', () => parseClosureGraph(`${a}\n\n2\n${a}\n`, { source: 'g' }), `g: line 3: ${a} announces 2 references but the file ends after 1`],
    ['legacy missing count', () => parseClosureGraph(`${a}\n`, { source: 'g' }), `g: line 1: entry for ${a} is truncated (needs a deriver line and a reference count)`],
  ];
  for (const [name, run, message] of cases) {
    assert.throws(run, (e: unknown) => {
      assert.ok(e instanceof UserError, name);
      if (typeof message === 'string') assert.equal(e.message, message, name);
      else assert.match(e.message, message, name);
      return true;
    }, name);
  }
});
