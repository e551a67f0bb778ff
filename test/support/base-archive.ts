// Shared set-up of the fromImage reader tests (test/sources/docker-archive.test.ts and
// test/faults/from-image.test.ts): archive members, and the check every broken base archive
// must pass.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readDockerArchive } from '../../src/sources/docker-archive.ts';
import type { TarHeader } from '../../src/tar/header.ts';
import { tarOf } from '../sinks/vectors.ts';

/** A regular-file member (mode 0644, root, mtime 1) holding `data`; `extra` overrides header fields. */
export const member = (name: string, data: Buffer, extra: Partial<TarHeader> = {}): [TarHeader, Buffer] =>
  [{ name, type: 'file', mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', size: data.length, mtime: 1, ...extra }, data];

/** Reading the base archive at `path` fails with a one-line UserError that starts with the path and matches `pattern`. */
export async function assertBrokenArchive(path: string, pattern: RegExp, name: string): Promise<void> {
  await assert.rejects(readDockerArchive(path), (error: Error) => {
    assert.equal(error.name, 'UserError', `${name}: ${error.stack}`);
    assert.ok(error.message.startsWith(`${path}: `), `${name}: ${error.message}`);
    assert.ok(!error.message.includes('\n'), name);
    assert.match(error.message, pattern, name);
    return true;
  }, name);
}

/** A docker-archive with `count` layers, each an empty tar (its end-of-archive blocks), uncompressed. */
export function layeredArchive(count: number): Buffer {
  const layer = Buffer.alloc(1024);
  const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  const names = Array.from({ length: count }, (_, i) => `${i}/layer.tar`);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: names.map(() => diffId) } }));
  const manifest = Buffer.from(JSON.stringify([{ Config: 'cfg.json', RepoTags: ['base:1'], Layers: names }]));
  return tarOf([...names.map((name) => member(name, layer)), member('cfg.json', config), member('manifest.json', manifest)]);
}
