import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trustedCertificates } from '../../src/registry/trust.ts';

test('trusted CAs: $SSL_CERT_FILE, else $NIX_SSL_CERT_FILE, plus $NODE_EXTRA_CA_CERTS when readable; none set: Node\'s defaults; an unreadable bundle: one line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'trust-'));
  try {
    const [a, b, extra] = ['a.pem', 'b.pem', 'extra.pem'].map((name) => join(dir, name)) as [string, string, string];
    await writeFile(a, 'PEM A\n');
    await writeFile(b, 'PEM B\n');
    await writeFile(extra, 'PEM EXTRA\n');
    assert.equal(trustedCertificates({}), undefined);
    assert.equal(trustedCertificates({ NODE_EXTRA_CA_CERTS: extra }), undefined);
    assert.deepEqual(trustedCertificates({ SSL_CERT_FILE: a, NIX_SSL_CERT_FILE: b }), ['PEM A\n']);
    assert.deepEqual(trustedCertificates({ NIX_SSL_CERT_FILE: b, NODE_EXTRA_CA_CERTS: extra }), ['PEM B\n', 'PEM EXTRA\n']);
    // Node only warns about an unreadable extra file; so does this (it is left out).
    assert.deepEqual(trustedCertificates({ SSL_CERT_FILE: a, NODE_EXTRA_CA_CERTS: join(dir, 'gone.pem') }), ['PEM A\n']);
    assert.throws(() => trustedCertificates({ SSL_CERT_FILE: join(dir, 'missing.pem') }), {
      name: 'UserError',
      message: `SSL_CERT_FILE=${join(dir, 'missing.pem')}: cannot read the CA bundle (ENOENT); point it at a PEM file (e.g. cacert's etc/ssl/certs/ca-bundle.crt) or unset it`,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
