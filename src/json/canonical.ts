// Canonical JSON (sorted keys, no whitespace) for the project's own OCI documents, where
// there is no nixpkgs byte layout to match and determinism is all that matters.
import stableStringify from 'fast-json-stable-stringify';

/** Serialises `value` with keys sorted at every level and no whitespace. */
export function canonicalJson(value: unknown): string {
  return stableStringify(value);
}
