// JSON parsing and printing that keep number lexemes: `1.0` stays a float, 2^53+1 stays exact.
// Image configs come from Nix and must be re-serialised byte-for-byte (format.md §2.1).
import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';
import { UserError } from '../errors.ts';

/** A JSON value whose numbers are `LosslessNumber`s (their `.value` is the original lexeme). */
export type JsonValue = null | boolean | string | LosslessNumber | JsonValue[] | JsonObject;
/** A JSON object; key order is insertion order (integer-like keys excepted, a JS limitation). */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Parses JSON keeping every number's lexeme; `where` names the file or argument for errors. */
export function parseLossless(text: string, where: string): JsonValue {
  try {
    return parseKeepingLexemes(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UserError('bad-json', `${where}: not valid JSON (${reason}); check that the file is complete`, { cause: error });
  }
}

/** Parses JSON keeping every number's lexeme; a syntax error is thrown as lossless-json's own (read-file.ts words it). */
export function parseKeepingLexemes(text: string): JsonValue {
  return parse(text, null, (lexeme) => new LosslessNumber(lexeme)) as JsonValue;
}

/** Compact (or indented) JSON with number lexemes written back verbatim; any JSON-serialisable value (the conf, too). */
export function stringifyLossless(value: unknown, indent?: number): string {
  const text = stringify(value, null, indent);
  if (text === undefined) throw new TypeError('stringifyLossless: value is not serialisable');
  return text;
}

/** Whether a value is a plain JSON object (not an array, number wrapper or null). */
export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isLosslessNumber(value);
}

export { isLosslessNumber, LosslessNumber };
