// Reference parsing: Docker Hub defaults, registry hosts, tags and digests, and rejections.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { apiHost, formatReference, isLocalRegistry, parseReference } from '../../src/registry/reference.ts';
import { nameAsWritten } from '../../src/sources/registry.ts';

const D = `sha256:${'ab'.repeat(32)}`;

describe('parseReference', () => {
  const cases: Array<[string, { registry: string; repository: string; tag?: string; digest?: string }]> = [
    ['alpine', { registry: 'docker.io', repository: 'library/alpine' }],
    ['alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', tag: '3.20' }],
    ['nixos/nix:2.24', { registry: 'docker.io', repository: 'nixos/nix', tag: '2.24' }],
    ['docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine' }],
    ['index.docker.io/library/alpine', { registry: 'docker.io', repository: 'library/alpine' }],
    [`alpine@${D}`, { registry: 'docker.io', repository: 'library/alpine', digest: D }],
    [`alpine:3@${D}`, { registry: 'docker.io', repository: 'library/alpine', tag: '3', digest: D }],
    ['localhost/foo', { registry: 'localhost', repository: 'foo' }],
    ['localhost:5000/foo/bar:v1', { registry: 'localhost:5000', repository: 'foo/bar', tag: 'v1' }],
    ['127.0.0.1:5000/a', { registry: '127.0.0.1:5000', repository: 'a' }],
    ['ghcr.io/owner/repo/sub:x_y-z.1', { registry: 'ghcr.io', repository: 'owner/repo/sub', tag: 'x_y-z.1' }],
    [`quay.io/a/b@${D}`, { registry: 'quay.io', repository: 'a/b', digest: D }],
    ['[::1]:5000/a', { registry: '[::1]:5000', repository: 'a' }],
    ['my_org/my-app__x', { registry: 'docker.io', repository: 'my_org/my-app__x' }],
  ];
  for (const [text, expected] of cases) {
    it(`parses ${text}`, () => assert.deepEqual(parseReference(text), expected));
  }

  const bad = ['', 'Alpine', 'alpine:', 'alpine:-x', 'a//b', 'a/-b', `alpine@sha256:${'x'.repeat(64)}`, 'alpine@md5:00', 'ex ample.com/a', 'a_/b'];
  for (const text of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => assert.throws(() => parseReference(text), UserError));
  }

  it('names the argument and the expected form in errors', () => {
    assert.throws(() => parseReference('Bad', '--reference'), /--reference "Bad": .*lower-case.*\[registry\/\]repository/);
  });
});

describe('reference helpers', () => {
  it('formats canonically, digest first', () => {
    assert.equal(formatReference(parseReference('alpine')), 'docker.io/library/alpine:latest');
    assert.equal(formatReference(parseReference(`ghcr.io/a/b:t@${D}`)), `ghcr.io/a/b@${D}`);
  });
  it('maps Docker Hub to its API host', () => {
    assert.equal(apiHost('docker.io'), 'registry-1.docker.io');
    assert.equal(apiHost('127.0.0.1:5000'), '127.0.0.1:5000');
  });
  it('treats loopback hosts as local', () => {
    for (const host of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:80']) assert.equal(isLocalRegistry(host), true, host);
    for (const host of ['docker.io', 'example.com:5000', '10.0.0.1', 'localhost.example.com']) assert.equal(isLocalRegistry(host), false, host);
  });
  it('keeps the name as written for the default finalImageName', () => {
    assert.equal(nameAsWritten('nixos/nix:2.3'), 'nixos/nix');
    assert.equal(nameAsWritten(`localhost:5000/a@${D}`), 'localhost:5000/a');
    assert.equal(nameAsWritten('localhost:5000/a'), 'localhost:5000/a');
  });
});
