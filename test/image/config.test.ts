import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestFromHex } from '../../src/digest/digest.ts';
import { historyComment, imageConfigBytes } from '../../src/image/config.ts';
import { chainIds, imageId } from '../../src/image/ids.ts';
import { archiveManifestBytes } from '../../src/sinks/docker-archive.ts';

test('history comments are Python list literals, quoting a member name with an apostrophe like repr', () => {
  assert.equal(historyComment(['/nix/store/a', '/nix/store/b']), "store paths: ['/nix/store/a', '/nix/store/b']");
  assert.equal(historyComment(["it's/layer.tar"]), `store paths: ["it's/layer.tar"]`);
  assert.equal(historyComment([`a'b"c.tar`]), `store paths: ['a\\'b"c.tar']`);
});

test('config keys follow format.md §2.1 order and an empty config is {}', () => {
  const text = imageConfigBytes({ created: 'C', architecture: 'arm64', config: {}, diffIds: [], historyOrigins: [] }).toString();
  assert.equal(text, '{\n    "created": "C",\n    "architecture": "arm64",\n    "os": "linux",\n    "config": {},\n    "rootfs": {\n        "diff_ids": [],\n        "type": "layers"\n    },\n    "history": []\n}');
});

test('manifest.json layout', () => {
  assert.equal(archiveManifestBytes({ config: 'c.json', repoTags: ['a:b'], layers: [] }).toString(),
    '[\n    {\n        "Config": "c.json",\n        "RepoTags": [\n            "a:b"\n        ],\n        "Layers": []\n    }\n]');
});

test('ChainIDs and image ID follow format.md §2.3', () => {
  const a = digestFromHex('a'.repeat(64));
  const b = digestFromHex('b'.repeat(64));
  const chain = chainIds([a, b]);
  assert.equal(chain[0], a);
  // sha256 of "sha256:aaa… sha256:bbb…", computed independently with sha256sum.
  assert.equal(chain[1], 'sha256:ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c');
  assert.equal(imageId(Buffer.from('')), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});
