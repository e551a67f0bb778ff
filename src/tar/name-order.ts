// The order of names within a directory in a store layer (format.md §4.1): by code point, where
// nixpkgs' Python sees an undecodable byte as a lone surrogate (U+DC80–U+DCFF, PEP 383).
// For valid UTF-8 this is plain byte order, so only names with invalid bytes take the slow path.

import { isUtf8 as isValidUtf8 } from 'node:buffer';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Sorts a directory's names, given as latin1 strings (one character per byte), in place in layer
 * order. When every name is valid UTF-8 (nearly always) that is plain byte order, which is the
 * strings' own order; each name is checked once instead of in every comparison.
 */
export function sortLatin1Names(names: string[]): void {
  if (names.every((name) => !NON_ASCII.test(name) || isValidUtf8(Buffer.from(name, 'latin1')))) {
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } else {
    names.sort((a, b) => compareNames(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')));
  }
}

const NON_ASCII = /[\x80-\xff]/;

/** Compares two raw file names by the code points Python's surrogateescape decoding gives them. */
export function compareNames(a: Buffer, b: Buffer): number {
  if (isValidUtf8(a) && isValidUtf8(b)) return Buffer.compare(a, b);
  const left = codePoints(a);
  const right = codePoints(b);
  const common = Math.min(left.length, right.length);
  for (let i = 0; i < common; i++) {
    if (left[i] !== right[i]) return left[i]! < right[i]! ? -1 : 1;
  }
  return left.length - right.length;
}

/** Code points of a name decoded as UTF-8, each undecodable byte becoming U+DC00 + byte. */
export function codePoints(bytes: Buffer): number[] {
  const points: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length === 0) {
      points.push(0xdc00 + bytes[i]!);
      i += 1;
      continue;
    }
    points.push(strictUtf8.decode(bytes.subarray(i, i + length)).codePointAt(0)!);
    i += length;
  }
  return points;
}

// Length of the valid UTF-8 sequence at `i`, or 0 when the byte there cannot start one.
function sequenceLength(bytes: Buffer, i: number): number {
  const lead = bytes[i]!;
  if (lead < 0x80) return 1;
  const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  return isValidUtf8(bytes.subarray(i, i + length)) ? length : 0;
}
