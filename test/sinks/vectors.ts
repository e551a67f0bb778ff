// Test vectors of format.md built by hand: the store layer of §4.5 vector C (from header.ts
// entries, independently of the store walker) and the GNU customisation layer of §5.3 vector E.
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import type { Layer } from '../../src/image/types.ts';
import type { Logger } from '../../src/log.ts';
import { assembleImage } from '../../src/image/assemble.ts';
import { parseLossless } from '../../src/json/lossless.ts';
import { bytesLayer } from '../../src/sources/bytes-layer.ts';
import { tarballLayer } from '../../src/sources/tarball-layer.ts';
import { encodeHeader, endOfArchive, paddingFor, type TarHeader } from '../../src/tar/header.ts';

const DEMO = '/nix/store/00000000000000000000000000000000-demo';
const NOTE = '/nix/store/11111111111111111111111111111111-note.txt';

/** Vector C: 10240 bytes, sha256 a690232b…. */
export function vectorC(): Buffer {
  const owner = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: 1 };
  const dir = (name: string, mode: number): [TarHeader, Buffer] => [{ ...owner, name, type: 'directory', mode, size: 0 }, Buffer.alloc(0)];
  const file = (name: string, mode: number, text: string): [TarHeader, Buffer] => {
    const data = Buffer.from(text);
    return [{ ...owner, name, type: 'file', mode, size: data.length }, data];
  };
  const entries: Array<[TarHeader, Buffer]> = [
    dir('/nix/', 0o755),
    dir('/nix/store/', 0o755),
    dir(`${DEMO}/`, 0o555),
    dir(`${DEMO}/bin/`, 0o555),
    file(`${DEMO}/bin/demo`, 0o555, '#!/bin/sh\necho hi\n'),
    [{ ...owner, name: `${DEMO}/lib`, type: 'symlink', mode: 0o777, size: 0, linkname: 'bin' }, Buffer.alloc(0)],
    dir(`${DEMO}/share/`, 0o555),
    file(`${DEMO}/share/doc-copy.txt`, 0o444, 'doc\n'),
    file(`${DEMO}/share/doc.txt`, 0o444, 'doc\n'),
    file(`${DEMO}/share/${'x'.repeat(90)}.txt`, 0o444, 'long\n'),
    file(NOTE, 0o444, 'note\n'),
  ];
  return tarOf(entries);
}

/** Origins (store paths) of vector C. */
export const VECTOR_C_PATHS = [DEMO, NOTE];

/** Vector E: the GNU-format customisation layer holding only `./` (10240 bytes, sha256 f003e077…). */
export function vectorE(): Buffer {
  const block = Buffer.alloc(512);
  block.write('./', 0, 'ascii');
  block.write('0000755\0', 100, 'ascii');
  block.write('0000000\0', 108, 'ascii');
  block.write('0000000\0', 116, 'ascii');
  block.write('00000000000\0', 124, 'ascii');
  block.write('02263523000\0', 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write('5', 156, 'ascii');
  block.write('ustar  \0', 257, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return Buffer.concat([block, endOfArchive(512)]);
}

/** A tar in the §3 dialect from headers and contents. */
export function tarOf(entries: ReadonlyArray<readonly [TarHeader, Buffer]>): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [header, data] of entries) {
    const bytes = Buffer.concat([encodeHeader(header), data, paddingFor(data.length)]);
    parts.push(bytes);
    offset += bytes.length;
  }
  parts.push(endOfArchive(offset));
  return Buffer.concat(parts);
}

/** Lower-case hex sha256. */
export const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const CUSTOMISATION = '/nix/store/22222222222222222222222222222222-test-customisation-layer';

/** The image of format.md §2.4 (recorded as `test:latest`), with the customisation layer read from a directory like Nix's. */
export async function vectorImage(options: { storeLayer?: Layer } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'strata-e2e-'));
  await writeFile(join(dir, 'layer.tar'), vectorE());
  await writeFile(join(dir, 'checksum'), `${sha(vectorE())}\n`);
  const customisationLayer = await tarballLayer(dir, { origin: [CUSTOMISATION] });
  return assembleImage({
    storeLayers: [options.storeLayer ?? bytesLayer(vectorC(), { origin: VECTOR_C_PATHS, kind: 'store' })],
    customisationLayer,
    architecture: 'amd64',
    config: parseLossless('{"Cmd":["/nix/store/00000000000000000000000000000000-demo/bin/demo"],"Env":["PATH=/bin"]}', 'test'),
    created: '1970-01-01T00:00:01+00:00',
  });
}


/** A logger that keeps its info lines. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (line) => lines.push(line), progress: () => {} };
}

/** Everything a sink writes into a PassThrough. */
export async function collect(run: (output: Writable) => Promise<void>): Promise<Buffer> {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (chunk: Buffer) => chunks.push(chunk));
  await run(output);
  return Buffer.concat(chunks);
}

