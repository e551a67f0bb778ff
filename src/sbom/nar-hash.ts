// Nix's narHash as the lower-case hex SHA-256 that SPDX (`SHA256`) and CycloneDX (`SHA-256`)
// checksums take. Nix writes it as `sha256:<52 chars of Nix base32>` (exportReferencesGraph and
// `nix path-info --json` before 2.19) or as SRI `sha256-<base64>` (later); `sha256:<64 hex>` is
// read too.
import { UserError } from '../errors.ts';

/** Nix's base32 alphabet (no e, o, u, t): src/libutil/hash.cc `base32Chars`. */
const BASE32 = '0123456789abcdfghijklmnpqrsvwxyz';
const SHA256_BYTES = 32;
const SHA256_BASE32_LENGTH = 52;

/**
 * Decodes Nix base32. Nix prints the hash's bits from the last 5-bit group to the first: the
 * character at index k carries bits 5n … 5n+4 of the byte string, n = length − 1 − k
 * (hash.cc printHash32), so decoding scatters each digit back to its byte offset.
 */
export function decodeNixBase32(text: string, bytes: number): Buffer | undefined {
  if (text.length !== Math.floor((bytes * 8 - 1) / 5) + 1) return undefined;
  const out = Buffer.alloc(bytes);
  for (let k = 0; k < text.length; k++) {
    const digit = BASE32.indexOf(text[k]!);
    if (digit < 0) return undefined;
    const bit = (text.length - 1 - k) * 5;
    const i = bit >> 3;
    const j = bit & 7;
    out[i] = out[i]! | ((digit << j) & 0xff);
    const carry = digit >> (8 - j);
    if (i + 1 < bytes) out[i + 1] = out[i + 1]! | carry;
    else if (carry !== 0) return undefined;
  }
  return out;
}

/** The narHash of `path` as 64 lower-case hex digits; `where` names the input in the error. */
export function narHashHex(narHash: string, where: string): string {
  const hex = /^sha256:([0-9a-f]{64})$/i.exec(narHash)?.[1]?.toLowerCase()
    ?? fromBase32(/^sha256:([0-9a-z]+)$/.exec(narHash)?.[1])
    ?? fromSri(/^sha256-([A-Za-z0-9+/]+={0,2})$/.exec(narHash)?.[1]);
  if (hex === undefined) {
    throw new UserError('bad-nar-hash', `${where}: narHash ${JSON.stringify(narHash)} is not a SHA-256 hash ("sha256:<Nix base32>", "sha256:<hex>" or SRI "sha256-<base64>")`);
  }
  return hex;
}

function fromBase32(text: string | undefined): string | undefined {
  if (text === undefined || text.length !== SHA256_BASE32_LENGTH) return undefined;
  return decodeNixBase32(text, SHA256_BYTES)?.toString('hex');
}

function fromSri(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === SHA256_BYTES && bytes.toString('base64') === text ? bytes.toString('hex') : undefined;
}
