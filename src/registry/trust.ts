// The CA certificates https requests trust. Node's own default is its bundled roots, or, as
// nixpkgs builds it (--openssl-use-def-ca-store), OpenSSL's default store; a Nix build has
// neither /etc/ssl nor the user's roots, so pullImage's derivation points SSL_CERT_FILE (and
// NIX_SSL_CERT_FILE, as nixpkgs' fetchers do) at cacert's bundle, which is then the trust.
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.ts';

const read = new Map<string, string>();

/**
 * The PEM text of $SSL_CERT_FILE (else $NIX_SSL_CERT_FILE), plus $NODE_EXTRA_CA_CERTS, which
 * Node would otherwise add to its defaults; undefined when neither bundle variable is set
 * (Node's defaults apply). An unreadable bundle is an error; an unreadable extra file is left
 * out, as Node does (it has warned at start-up): an impure NODE_EXTRA_CA_CERTS of the user's
 * shell often names a host file the sandbox lacks. Each file is read once per process.
 */
export function trustedCertificates(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const variable = env.SSL_CERT_FILE ? 'SSL_CERT_FILE' : env.NIX_SSL_CERT_FILE ? 'NIX_SSL_CERT_FILE' : undefined;
  if (variable === undefined) return undefined;
  const bundle = readPem(env[variable]!);
  if (typeof bundle !== 'string') {
    throw new UserError('registry-ca', `${variable}=${env[variable]!}: cannot read the CA bundle (${bundle.reason}); point it at a PEM file (e.g. cacert's etc/ssl/certs/ca-bundle.crt) or unset it`, { cause: bundle.error });
  }
  const extra = env.NODE_EXTRA_CA_CERTS ? readPem(env.NODE_EXTRA_CA_CERTS) : undefined;
  return typeof extra === 'string' ? [bundle, extra] : [bundle];
}

function readPem(file: string): string | { reason: string; error: unknown } {
  const known = read.get(file);
  if (known !== undefined) return known;
  try {
    const text = readFileSync(file, 'utf8');
    read.set(file, text);
    return text;
  } catch (error) {
    return { reason: String((error as { code?: unknown }).code ?? (error as Error).message), error };
  }
}
