import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '../../src/registry/client.ts';
import { describeNetworkError } from '../../src/registry/http.ts';
import { pullImage } from '../../src/sources/registry.ts';
import { makeServerCertificates } from '../e2e/test-pki.ts';

const url = new URL('https://127.0.0.1:5000/v2/');
const what = 'manifest x of y';
const tlsVerifyOff = '--tls-verify=false';

test('an untrusted certificate is its own error (never retried over http), saying how to trust the CA', () => {
  for (const [code, message] of [['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'], ['SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'], ['ERR_TLS_CERT_ALTNAME_INVALID', 'Hostname/IP does not match']]) {
    const described = describeNetworkError(Object.assign(new Error(message), { code }), url, { what, tlsVerify: true, tlsVerifyOff }) as Error & { code: string };
    assert.equal(described.name, 'UserError');
    assert.equal(described.code, 'registry-certificate');
    assert.equal(described.message, `manifest x of y: cannot reach https://127.0.0.1:5000: TLS certificate not trusted, ${code} (${message}); trust the registry's CA through SSL_CERT_FILE or NODE_EXTRA_CA_CERTS, or pass --tls-verify=false`);
  }
});

test('a registry that does not speak TLS is a TLS error (the client may retry a local one over http)', () => {
  const error = Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' });
  const described = describeNetworkError(error, url, { what, tlsVerify: true, tlsVerifyOff }) as Error & { code: string };
  assert.equal(described.code, 'registry-tls');
  assert.match(described.message, /TLS error ERR_SSL_WRONG_VERSION_NUMBER \(wrong version number\); pass --tls-verify=false for a registry without TLS$/);
});

test('the certificate hint names the flag of the command in use: push\'s --tls-verify=false, pull\'s --no-tls-verify', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nix-strata-tls-hint-'));
  const tls = await makeServerCertificates(dir);
  // A certificate from a CA made just now: trusted nowhere, so verification fails.
  const server = createServer({ key: await readFile(tls.key), cert: await readFile(tls.certificate) }, (_request, response) => response.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const hint = async (promise: Promise<unknown>): Promise<string> => {
    const error = await promise.then(() => assert.fail('expected a certificate error'), (caught: unknown) => caught as Error & { code?: string });
    assert.equal(error.code, 'registry-certificate', error.stack);
    return error.message.slice(error.message.lastIndexOf('; ') + 2);
  };
  try {
    // The push sinks' and push-index's client: the default.
    assert.equal(await hint(new RegistryClient(host).getManifest('a/b', 'v1')), 'trust the registry\'s CA through SSL_CERT_FILE or NODE_EXTRA_CA_CERTS, or pass --tls-verify=false');
    assert.equal(await hint(pullImage({ reference: `${host}/a/b@sha256:${'0'.repeat(64)}`, blobDir: dir })),
      'trust the registry\'s CA through SSL_CERT_FILE or NODE_EXTRA_CA_CERTS, or pass --no-tls-verify (pullImage: tlsVerify = false)');
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
