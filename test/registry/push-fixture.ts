// Small images to push: uncompressed tar layers held in memory (bytesLayer) and their config,
// a busybox at the bottom so docker and podman can run them. `variant` changes one layer's
// content, as a one-path change of a Nix image would.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { sha256Digest } from '../../src/digest/digest.ts';
import { bytesLayer } from '../../src/sources/bytes-layer.ts';
import type { Layer } from '../../src/image/types.ts';
import type { PushableImage } from '../../src/sinks/registry.ts';
import type { TarHeader } from '../../src/tar/header.ts';
import { tarOf } from '../sinks/vectors.ts';

const file = (name: string, data: Buffer | string, mode = 0o644): [TarHeader, Buffer] => {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return [{ name, type: 'file', mode, uid: 0, gid: 0, uname: '', gname: '', size: bytes.length, mtime: 1 }, bytes];
};
const dir = (name: string): [TarHeader, Buffer] =>
  [{ name, type: 'directory', mode: 0o755, uid: 0, gid: 0, uname: '', gname: '', size: 0, mtime: 1 }, Buffer.alloc(0)];
const symlink = (name: string, target: string): [TarHeader, Buffer] =>
  [{ name, type: 'symlink', linkname: target, mode: 0o777, uid: 0, gid: 0, uname: '', gname: '', size: 0, mtime: 1 }, Buffer.alloc(0)];

/** An image and the diff_ids of its layers. */
export interface TestImage extends PushableImage {
  readonly layers: readonly Layer[];
  readonly tars: readonly Buffer[];
  readonly motd: string;
}

/**
 * Three layers: busybox (`/bin/sh`), `/data/blob` of `dataBytes` random-looking (fixed) bytes,
 * and `/etc/motd` naming `variant`. Images with other variants share the first two layers.
 */
export function testImage(variant: string, options: { dataBytes?: number; extraLayers?: number } = {}): TestImage {
  const busybox = tarOf([dir('bin/'), file('bin/busybox', readFileSync('/bin/busybox'), 0o755), symlink('bin/sh', 'busybox'), symlink('bin/cat', 'busybox')]);
  const data = tarOf([dir('data/'), file('data/blob', seeded(options.dataBytes ?? 300_000))]);
  const extras = Array.from({ length: options.extraLayers ?? 0 }, (_, i) => tarOf([dir('extra/'), file(`extra/${i}`, `extra layer ${i}\n`)]));
  const motd = `pushed ${variant}\n`;
  const top = tarOf([dir('etc/'), file('etc/motd', motd)]);
  const tars = [busybox, data, ...extras, top];
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['/bin/cat', '/etc/motd'] },
    rootfs: { type: 'layers', diff_ids: tars.map((tar) => sha256Digest(tar)) },
  }));
  return {
    layers: tars.map((tar, i) => bytesLayer(tar, { origin: [`layer ${i}`] })),
    rawConfig: async () => config,
    tars,
    motd,
  };
}

/** An image of one layer of `bytes` random bytes (incompressible), for uploads that take a while. */
export function bigImage(bytes: number): TestImage {
  const tar = tarOf([file('big', randomBytes(bytes))]);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha256Digest(tar)] } }));
  return { layers: [bytesLayer(tar, { origin: ['big'] })], rawConfig: async () => config, tars: [tar], motd: '' };
}

// Deterministic pseudo-random bytes (an LCG): compressible only a little, the same every run.
function seeded(length: number): Buffer {
  const out = Buffer.alloc(length);
  let state = 0x2545f491;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}
