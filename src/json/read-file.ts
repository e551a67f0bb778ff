// Reading the builder's input files (attrs, confs, configs, pipelines): a file that cannot be
// read or is not JSON fails with one line naming what the file is, its path and the reason.
import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.ts';
import { parseKeepingLexemes, type JsonValue } from './lossless.ts';

/** How an input file is named in its errors. */
export interface InputFile {
  /** What the file is, before its path in messages ("conf", "layering pipeline"). */
  readonly what: string;
  /** Prefix of the error codes: `<code>-unreadable`, `<code>-malformed`. */
  readonly code: string;
  /** What the file should hold, appended to the not-JSON message. */
  readonly expected?: string;
}

/** The text of an input file. */
export async function readInputFile(path: string, file: InputFile): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`${file.code}-unreadable`, `cannot read ${file.what} ${path}: ${oneLine(error)}`, { cause: error });
  }
}

/** An input file parsed with JSON.parse (numbers as JS numbers). */
export async function readJsonFile(path: string, file: InputFile): Promise<unknown> {
  return parsed(await readInputFile(path, file), path, file, JSON.parse);
}

/** An input file parsed keeping number lexemes (json/lossless.ts), for values that reach an image byte for byte. */
export async function readLosslessJsonFile(path: string, file: InputFile): Promise<JsonValue> {
  return parsed(await readInputFile(path, file), path, file, parseKeepingLexemes);
}

function parsed<T>(text: string, path: string, file: InputFile, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (error) {
    const expected = file.expected === undefined ? '' : `; expected ${file.expected}`;
    throw new UserError(`${file.code}-malformed`, `${file.what} ${path} is not valid JSON: ${oneLine(error)}${expected}`, { cause: error });
  }
}

/**
 * An error's message with whitespace runs collapsed to one space (V8's JSON errors quote the
 * input, newlines and indentation included). Not the same as UserError's own escaping, which
 * would keep the quote as `\n` escapes: these messages read as the input's text on one line.
 */
function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
}
