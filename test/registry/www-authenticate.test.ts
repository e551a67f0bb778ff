// WWW-Authenticate parsing: the Bearer challenges of Docker Hub, GHCR and distribution, and Basic.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWwwAuthenticate } from '../../src/registry/www-authenticate.ts';

describe('parseWwwAuthenticate', () => {
  const cases: Array<[string, string, ReturnType<typeof parseWwwAuthenticate>]> = [
    ['Docker Hub', 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } }]],
    ['spaces and case', 'BEARER  Realm = "https://a/t" , Service=reg',
      [{ scheme: 'bearer', params: { realm: 'https://a/t', service: 'reg' } }]],
    ['a scope with several actions', 'Bearer realm="https://a/t",scope="repository:x/y:pull,push"',
      [{ scheme: 'bearer', params: { realm: 'https://a/t', scope: 'repository:x/y:pull,push' } }]],
    ['escaped quotes', 'Bearer realm="https://a/t",error="invalid_token",error_description="say \\"hi\\""',
      [{ scheme: 'bearer', params: { realm: 'https://a/t', error: 'invalid_token', error_description: 'say "hi"' } }]],
    ['Basic', 'Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    ['two challenges', 'Basic realm="x", Bearer realm="https://a/t",service="s"',
      [{ scheme: 'basic', params: { realm: 'x' } }, { scheme: 'bearer', params: { realm: 'https://a/t', service: 's' } }]],
    ['a bare scheme', 'Negotiate', [{ scheme: 'negotiate', params: {} }]],
    ['token68 then a challenge', 'Negotiate abc==, Bearer realm="r"', [{ scheme: 'negotiate', params: {} }, { scheme: 'bearer', params: { realm: 'r' } }]],
    ['empty', '', []],
  ];
  for (const [name, header, expected] of cases) {
    it(name, () => assert.deepEqual(parseWwwAuthenticate(header), expected));
  }
});
