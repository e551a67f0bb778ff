// Certificates the push tests make with openssl, short-lived (only this run uses them): a CA
// and a 127.0.0.1 server certificate it signs, and a self-signed key pair a token service
// signs its tokens with.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { RegistryTls } from './local-registry.ts';

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA (`ca.crt`) and a certificate for IP 127.0.0.1 it signs, in `dir`. */
export async function makeServerCertificates(dir: string): Promise<RegistryTls> {
  const file = (name: string): string => join(dir, name);
  await execa('openssl', ['req', '-x509', ...EC, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-subj', '/CN=nix-strata push test CA', '-days', '2']);
  await execa('openssl', ['req', ...EC, '-keyout', file('registry.key'), '-out', file('registry.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(file('san.ext'), 'subjectAltName = IP:127.0.0.1\n');
  await execa('openssl', ['x509', '-req', '-in', file('registry.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
    '-CAcreateserial', '-out', file('registry.crt'), '-days', '2', '-extfile', file('san.ext')]);
  return { ca: file('ca.crt'), certificate: file('registry.crt'), key: file('registry.key') };
}

/** A P-256 key and its self-signed certificate: the certificate (PEM file) is the registry's rootcertbundle. */
export async function makeSigningKey(dir: string): Promise<{ keyPem: string; certificateFile: string; certificateDerBase64: string }> {
  const key = join(dir, 'token.key');
  const certificate = join(dir, 'token.crt');
  await execa('openssl', ['req', '-x509', ...EC, '-keyout', key, '-out', certificate, '-subj', '/CN=nix-strata test token issuer', '-days', '2']);
  const der = (await execa('openssl', ['x509', '-in', certificate, '-outform', 'der'], { encoding: 'buffer' })).stdout;
  return { keyPem: await readFile(key, 'utf8'), certificateFile: certificate, certificateDerBase64: Buffer.from(der).toString('base64') };
}
