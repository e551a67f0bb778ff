import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.ts';
import { narHashHex } from '../../src/sbom/nar-hash.ts';

// Hex ↔ Nix base32 pairs from Nix itself (`nix-hash --type sha256 --to-base32 HEX`, Nix 2.8);
// the last two are sha256("") and sha256("nix-strata").
const vectors: [string, string][] = [
  ['0000000000000000000000000000000000000000000000000000000000000000', '0000000000000000000000000000000000000000000000000000'],
  ['ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', '1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz'],
  ['0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20', '080z3qfiq6qs34c1f5hm2h9i448h1w70s30b184hh1q60l2060h1'],
  ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73'],
  ['0fffb264d7b42acb0976db73db93da843c41d7d60886e65dc4cd29c620309807', '01wq60hccafdqifyd1h8svbl2g44va9xnwyvfq4wnamlsxjb5zqg'],
];

test('Nix base32 narHashes decode to the hex Nix prints for them', () => {
  for (const [hex, base32] of vectors) assert.equal(narHashHex(`sha256:${base32}`, 't'), hex, base32);
});

test('SRI and hex narHashes are read too', () => {
  // sha256("nix-strata") as base64 (openssl dgst -sha256 -binary | base64).
  assert.equal(narHashHex('sha256-D/+yZNe0KssJdttz25PahDxB19YIhuZdxM0pxiAwmAc=', 't'), vectors[4]![0]);
  assert.equal(narHashHex(`sha256:${vectors[4]![0].toUpperCase()}`, 't'), vectors[4]![0]);
});

test('anything else is one line naming the input and the accepted forms', () => {
  const bad = [
    'sha256:2zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz', // 257 bits: the top digit overflows
    'sha256:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7e', // "e" is not in Nix's alphabet
    'sha256:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7', // 51 characters
    'sha256-D/+yZNe0KssJdttz25PahDxB19YIhuZdxM0pxiAw', // 24 bytes
    'sha512:' + 'a'.repeat(128),
    'md5:d41d8cd98f00b204e9800998ecf8427e',
  ];
  for (const narHash of bad) {
    assert.throws(() => narHashHex(narHash, '/nix/store/x-y'), (error: unknown) =>
      error instanceof UserError && error.message === `/nix/store/x-y: narHash ${JSON.stringify(narHash)} is not a SHA-256 hash ("sha256:<Nix base32>", "sha256:<hex>" or SRI "sha256-<base64>")`, narHash);
  }
});
