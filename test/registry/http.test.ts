import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeNetworkError } from '../../src/registry/http.ts';

const url = new URL('https://127.0.0.1:5000/v2/');
const what = 'manifest x of y';

test('an untrusted certificate is its own error (never retried over http), saying how to trust the CA', () => {
  for (const [code, message] of [['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'], ['SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'], ['ERR_TLS_CERT_ALTNAME_INVALID', 'Hostname/IP does not match']]) {
    const described = describeNetworkError(Object.assign(new Error(message), { code }), url, { what, tlsVerify: true }) as Error & { code: string };
    assert.equal(described.name, 'UserError');
    assert.equal(described.code, 'registry-certificate');
    assert.equal(described.message, `manifest x of y: cannot reach https://127.0.0.1:5000: TLS certificate not trusted, ${code} (${message}); trust the registry's CA through SSL_CERT_FILE or NODE_EXTRA_CA_CERTS, or pass --no-tls-verify (tlsVerify = false)`);
  }
});

test('a registry that does not speak TLS is a TLS error (the client may retry a local one over http)', () => {
  const error = Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' });
  const described = describeNetworkError(error, url, { what, tlsVerify: true }) as Error & { code: string };
  assert.equal(described.code, 'registry-tls');
  assert.match(described.message, /TLS error ERR_SSL_WRONG_VERSION_NUMBER \(wrong version number\); pass --no-tls-verify/);
});
