// Canonical JSON (sorted keys, no whitespace) wherever there is no nixpkgs byte layout to match
// and determinism is all that matters, such as the digest cache's keys.
import stableStringify from 'fast-json-stable-stringify';

/** Serialises `value` with keys sorted at every level and no whitespace. */
export function canonicalJson(value: unknown): string {
  return stableStringify(value);
}
