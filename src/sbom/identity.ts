// Deterministic document identities. An SPDX document namespace and a CycloneDX serialNumber
// must be unique per document; a random UUID would make every build's bytes differ. So each is
// a name-based UUID (RFC 4122 §4.3, version 5: SHA-1) of the SHA-256 of the document's own
// bytes written with that field empty: the same content gives the same identity, any change
// another.
import { createHash } from 'node:crypto';

/** RFC 4122 appendix C's namespace for URLs, under which the names below are hashed. */
const NAMESPACE_URL = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');

/** A version 5 UUID of `name` (RFC 4122 §4.3) in the URL namespace. */
export function uuidV5(name: string): string {
  const bytes = createHash('sha1').update(NAMESPACE_URL).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The identity of a document of `format` whose bytes, with the identity field empty, are `draft`. */
export function contentUuid(format: 'spdx' | 'cyclonedx', draft: string): string {
  return uuidV5(`nix-strata:sbom:${format}:sha256:${createHash('sha256').update(draft, 'utf8').digest('hex')}`);
}
