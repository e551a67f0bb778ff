import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentUuid, uuidV5 } from '../../src/sbom/identity.ts';

test('uuidV5 is RFC 4122 version 5 in the URL namespace (values from Python\'s uuid.uuid5(NAMESPACE_URL, …))', () => {
  assert.equal(uuidV5('nix-strata'), 'a1840093-b313-5ac8-95dc-165ca22fdf55');
  assert.equal(uuidV5('http://www.python.org'), '5e077b6f-5fcc-5a59-b52a-0092db3520c3');
});

test('contentUuid depends on the format and on every byte of the draft', () => {
  const a = contentUuid('spdx', '{"a":1}');
  assert.equal(contentUuid('spdx', '{"a":1}'), a);
  assert.notEqual(contentUuid('cyclonedx', '{"a":1}'), a);
  assert.notEqual(contentUuid('spdx', '{"a":2}'), a);
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
