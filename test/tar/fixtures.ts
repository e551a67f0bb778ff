// Shared fixtures for the tar tests: temporary directories and the format.md §4.5 store tree.
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { extract, type Header } from 'tar-stream';

export const DEMO = '/nix/store/00000000000000000000000000000000-demo';
export const NOTE = '/nix/store/11111111111111111111111111111111-note.txt';
export const ROOT_OWNER = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: 1 } as const;

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'nix-strata-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => removeTree(path) };
}

/**
 * Removes a tree the tests made read-only in places (as store paths are): its directories are
 * made writable first, since only root may delete from a read-only directory.
 */
export function removeTree(path: string): void {
  const open = (dir: string): void => {
    chmodSync(dir, (lstatSync(dir).mode & 0o7777) | 0o700);
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) open(join(dir, entry.name));
  };
  if (existsSync(path) && lstatSync(path).isDirectory()) open(path);
  rmSync(path, { recursive: true, force: true });
}

/** Builds the tree of format.md §4.5 (vectors C and D) below `root`. */
export function buildVectorTree(root: string): void {
  const demo = join(root, DEMO);
  mkdirSync(join(demo, 'bin'), { recursive: true });
  mkdirSync(join(demo, 'share'));
  writeFileSync(join(demo, 'bin/demo'), '#!/bin/sh\necho hi\n');
  chmodSync(join(demo, 'bin/demo'), 0o555);
  symlinkSync('bin', join(demo, 'lib'));
  writeFileSync(join(demo, 'share/doc.txt'), 'doc\n');
  chmodSync(join(demo, 'share/doc.txt'), 0o444);
  linkSync(join(demo, 'share/doc.txt'), join(demo, 'share/doc-copy.txt'));
  const long = join(demo, 'share', `${'x'.repeat(90)}.txt`);
  writeFileSync(long, 'long\n');
  chmodSync(long, 0o444);
  writeFileSync(join(root, NOTE), 'note\n');
  chmodSync(join(root, NOTE), 0o444);
  for (const dir of ['bin', 'share', '']) chmodSync(join(demo, dir), 0o555);
}

/** Collects a stream into one buffer. */
export async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** One entry as the independent reader (tar-stream) sees it. */
export interface ReadEntry {
  header: Header;
  content: Buffer;
}

/** Reads a tar with tar-stream, an implementation independent of ours. */
export async function readTar(bytes: Buffer): Promise<ReadEntry[]> {
  const entries: ReadEntry[] = [];
  const reader = extract();
  const done = (async () => {
    for await (const entry of reader) {
      const parts: Buffer[] = [];
      for await (const chunk of entry) parts.push(chunk as Buffer);
      entries.push({ header: entry.header, content: Buffer.concat(parts) });
    }
  })();
  reader.end(bytes);
  await done;
  return entries;
}
