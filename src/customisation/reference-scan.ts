// Which store paths a file mentions, found the way Nix's reference scanner finds them: any
// occurrence of a candidate path's 32-character hash, at any byte offset. Used for the
// customisation layer the conf derivation builds itself, whose references Nix would otherwise
// have computed when registering a separate derivation's output.
import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';

const HASH_LENGTH = 32;
const CHUNK = 1 << 20;
/** Nix's base32 alphabet (no e, o, u, t). */
const IS_HASH_CHAR = new Uint8Array(256);
for (const char of '0123456789abcdfghijklmnpqrsvwxyz') IS_HASH_CHAR[char.charCodeAt(0)] = 1;

/** The candidates (store paths) whose hash part occurs in any of `files`, in candidate order. */
export function scanReferences(files: readonly string[], candidates: readonly string[]): string[] {
  const byHash = new Map<string, string>();
  for (const path of candidates) byHash.set(basename(path).slice(0, HASH_LENGTH), path);
  const found = new Set<string>();
  for (const file of files) scanFile(file, byHash, found);
  return candidates.filter((path) => found.has(path));
}

function scanFile(file: string, byHash: ReadonlyMap<string, string>, found: Set<string>): void {
  const fd = openSync(file, 'r');
  try {
    // Each read keeps the last HASH_LENGTH - 1 bytes of the one before, so a hash split
    // across two reads is still seen whole.
    const buffer = Buffer.alloc(CHUNK + HASH_LENGTH - 1);
    let carried = 0;
    for (;;) {
      const read = readSync(fd, buffer, carried, CHUNK, null);
      if (read === 0) break;
      const end = carried + read;
      scanWindows(buffer, end, byHash, found);
      carried = Math.min(HASH_LENGTH - 1, end);
      buffer.copy(buffer, 0, end - carried, end);
    }
  } finally {
    closeSync(fd);
  }
}

// Every window of 32 hash characters in buffer[0, end) is looked up.
function scanWindows(buffer: Buffer, end: number, byHash: ReadonlyMap<string, string>, found: Set<string>): void {
  let run = 0;
  for (let i = 0; i < end; i++) {
    run = IS_HASH_CHAR[buffer[i]!] === 1 ? run + 1 : 0;
    if (run >= HASH_LENGTH) {
      const path = byHash.get(buffer.toString('latin1', i + 1 - HASH_LENGTH, i + 1));
      if (path !== undefined) found.add(path);
    }
  }
}
