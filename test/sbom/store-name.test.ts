import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDrvName, parseStorePathName } from '../../src/sbom/store-name.ts';

// Each expected pair is what Nix 2.8's `builtins.parseDrvName` returned for the name
// (nix-instantiate --eval --json -E 'builtins.parseDrvName "…"').
const cases: [string, string, string][] = [
  ['hello-2.12.1', 'hello', '2.12.1'],
  ['bash-interactive-5.2-p15', 'bash-interactive', '5.2-p15'],
  ['perl5.36.0-Moose-2.2201', 'perl5.36.0-Moose', '2.2201'],
  ['glibc-2.38-27-bin', 'glibc', '2.38-27-bin'],
  ['bash-interactive', 'bash-interactive', ''],
  ['python3.11-setuptools-68.2.2', 'python3.11-setuptools', '68.2.2'],
  ['foo--bar', 'foo', '-bar'],
  ['foo-.1', 'foo', '.1'],
  ['foo-', 'foo-', ''],
  ['-1.0', '', '1.0'],
  ['unstable-foo-unstable-2023-01-01', 'unstable-foo-unstable', '2023-01-01'],
  ['a-B-c', 'a-B-c', ''],
  ['hello-_1', 'hello', '_1'],
];

test('names split as builtins.parseDrvName splits them: the version starts after the first "-" not followed by a letter', () => {
  for (const [text, name, version] of cases) assert.deepEqual(parseDrvName(text), { name, version }, text);
});

test('a store path gives its hash part, name and version', () => {
  assert.deepEqual(parseStorePathName('/nix/store/6m7c0rh5g1ihpk7g8f95bc8sb6kz8p94-openssl-3.0.12-dev', '/nix/store'),
    { hash: '6m7c0rh5g1ihpk7g8f95bc8sb6kz8p94', name: 'openssl', version: '3.0.12-dev' });
  assert.deepEqual(parseStorePathName('/gnu/store/6m7c0rh5g1ihpk7g8f95bc8sb6kz8p94-hello-script', '/gnu/store'),
    { hash: '6m7c0rh5g1ihpk7g8f95bc8sb6kz8p94', name: 'hello-script', version: '' });
});
