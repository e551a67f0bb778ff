// Canonical JSON for the documents nix-strata derives and hashes itself (registry manifests):
// RFC 8785 (JCS) for plain JSON data — no whitespace, object keys sorted by UTF-16 code units,
// strings and numbers as ECMAScript's JSON.stringify writes them, which is what JCS prescribes.
// The same value therefore always has the same bytes and digest, whatever order it was built in.
// Image configs are not written here: their bytes follow nixpkgs (python-compat.ts).

/** A plain JSON value; numbers must be safe integers (all a manifest holds). */
export type CanonicalValue = null | boolean | number | string | readonly CanonicalValue[] | { readonly [key: string]: CanonicalValue };

/** The canonical (RFC 8785) text of `value`. */
export function canonicalJson(value: CanonicalValue): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    // JCS writes any double, but a manifest has only sizes and versions: refuse the rest loudly.
    if (!Number.isSafeInteger(value)) throw new TypeError(`canonicalJson: ${value} is not a safe integer`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item: CanonicalValue) => canonicalJson(item)).join(',')}]`;
  const object = value as { readonly [key: string]: CanonicalValue };
  // Default sort compares UTF-16 code units, as RFC 8785 §3.2.3 requires.
  const keys = Object.keys(object).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key]!)}`).join(',')}}`;
}

/** The canonical bytes (UTF-8) of `value`. */
export function canonicalJsonBytes(value: CanonicalValue): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}
