// End to end: pullImage over https in the sandbox, where a fixed-output derivation has network
// but no /etc/ssl. The registry (Debian's docker-registry on 127.0.0.1) serves a certificate
// signed by a CA made here; a stand-in `cacert` holds that CA, as nixpkgs' cacert holds the
// public roots, and pullImage must trust it (SSL_CERT_FILE). Without it the pull fails with
// one TLS line: verification is really on. Only 127.0.0.1 is contacted.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { buildExpression, buildFailure, Docker, repoRoot, sandboxed } from './harness.ts';
import { startLocalRegistry, type LocalRegistry } from './local-registry.ts';

const fixtures = join(repoRoot, 'test/build-image/images.nix');
const host = `(import ${repoRoot}/test/nix/host.nix { })`;
const docker = new Docker();
let dir: string;
let registry: LocalRegistry | undefined;
let digest: string;
let caPem: string;

// A CA, and a certificate for 127.0.0.1 it signs (short-lived: only this run uses them).
async function makeCertificates(): Promise<{ ca: string; certificate: string; key: string }> {
  const file = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await execa('openssl', ['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-subj', '/CN=nix-strata test CA', '-days', '2']);
  await execa('openssl', ['req', ...ec, '-keyout', file('registry.key'), '-out', file('registry.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(file('san.ext'), 'subjectAltName = IP:127.0.0.1\n');
  await execa('openssl', ['x509', '-req', '-in', file('registry.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
    '-CAcreateserial', '-out', file('registry.crt'), '-days', '2', '-extfile', file('san.ext')]);
  return { ca: file('ca.crt'), certificate: file('registry.crt'), key: file('registry.key') };
}

/** pullImage of the pushed image, from nix/ with the host stand-ins plus `cacert` when given. */
function pullExpression(hashAttribute: string, withCacert: boolean): string {
  const cacert = `derivation {
    name = "cacert-test-ca";
    inherit (h.pkgs) system;
    builder = "\${h.pkgs.bash}/bin/bash";
    pem = ${JSON.stringify(caPem)};
    args = [ "-c" "\${h.pkgs.coreutils}/bin/mkdir -p $out/etc/ssl/certs && printf '%s' \\"$pem\\" > $out/etc/ssl/certs/ca-bundle.crt" ];
  }`;
  return `let h = ${host}; in
    (import ${repoRoot}/nix { pkgs = h.pkgs // ${withCacert ? `{ cacert = ${cacert}; }` : '{ }'}; inherit (h) nix-strata; }).pullImage {
      imageName = "${registry!.address}/strata/tls-pull";
      imageDigest = "${digest}";
      ${hashAttribute};
      finalImageName = "nix-strata-e2e/tls-pulled";
      finalImageTag = "v1";
    }`;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nix-strata-e2e-pull-tls-'));
  const tls = await makeCertificates();
  caPem = await readFile(tls.ca, 'utf8');
  registry = await startLocalRegistry(dir, tls);
  const source = await buildExpression(`(import ${fixtures} { }).pull-source`);
  const digestFile = join(dir, 'digest');
  await execa('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', '--digestfile', digestFile,
    `docker-archive:${source}`, `docker://${registry.address}/strata/tls-pull:latest`]);
  digest = (await readFile(digestFile, 'utf8')).trim();
  // The host stand-ins are scaffolding, built as this machine's nix.conf says (sandbox.test.ts).
  await buildExpression(`with ${host}; [ nix-strata pkgs.bash pkgs.coreutils pkgs.zstd pkgs.xz pkgs.bzip2 ]`);
});

after(async () => {
  await docker.cleanup();
  await registry?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('pullImage over https with the sandbox on', { timeout: 300_000 }, () => {
  let got: string;

  it('trusts cacert\'s bundle: a wrong hash fails only with Nix\'s hash mismatch', async () => {
    const failure = await buildFailure(pullExpression('sha256 = "0000000000000000000000000000000000000000000000000000"', true), sandboxed);
    assert.match(failure.stderr, /hash mismatch in fixed-output derivation/);
    const match = /got:\s+(\S+)/.exec(failure.stderr);
    assert.ok(match, failure.stderr);
    got = match[1]!;
  });

  it('with the right hash gives an archive docker loads and runs', async () => {
    assert.ok(got, 'the previous test reported the archive\'s hash');
    const pulled = await docker.load(await buildExpression(pullExpression(`hash = "${got}"`, true), sandboxed));
    assert.equal(pulled, 'nix-strata-e2e/tls-pulled:v1');
    assert.equal((await docker.run(pulled)).trim(), 'pulled');
  });

  it('without a CA bundle that holds the registry\'s CA, fails in one TLS line', async () => {
    const failure = await buildFailure(pullExpression('sha256 = "0000000000000000000000000000000000000000000000000000"', false), sandboxed);
    assert.match(failure.stderr, /cannot reach https:\/\/127\.0\.0\.1:\d+: TLS certificate not trusted, \S+ .*trust the registry's CA through SSL_CERT_FILE/);
    assert.doesNotMatch(failure.stderr, /hash mismatch|^\s+at /m);
  });
});
