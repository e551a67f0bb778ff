// The customisation layer as Nix built it: a directory with `layer.tar` and `checksum`
// (format.md §5.1). Its checksum is trusted for the header and verified while streaming.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { DigestingStream, digestFromHex, type Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import type { Layer, LayerKind } from '../image/types.ts';

/** Options for a tarball layer. */
export interface TarballLayerOptions {
  /** History origin; defaults to `[directory]` (the customisation layer's store path). */
  readonly origin?: readonly string[];
  readonly kind?: LayerKind;
}

/**
 * Reads `<directory>/checksum` and returns the layer of `<directory>/layer.tar`, whose diffId
 * is that checksum (a docker-archive names it `<checksum>/layer.tar`, format.md §1.1).
 */
export async function tarballLayer(directory: string, options: TarballLayerOptions = {}): Promise<Layer> {
  const checksumPath = join(directory, 'checksum');
  const tarPath = join(directory, 'layer.tar');
  const text = await readOrFail(checksumPath);
  const hex = text.replace(/\s+/g, '');
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new UserError('bad-checksum', `${checksumPath}: expected 64 lower-case hex digits (the sha256 of layer.tar), got ${JSON.stringify(text.slice(0, 80))}`);
  }
  const size = await stat(tarPath).then((info) => info.size, (error: unknown) => {
    throw new UserError('missing-layer-tar', `${tarPath}: cannot read the customisation layer (${describe(error)}); rebuild it`, { cause: error });
  });
  const diffId = digestFromHex(hex);
  return {
    compression: 'none',
    kind: options.kind ?? 'customisation',
    origin: options.origin ?? [directory],
    diffId: async () => diffId,
    digest: async () => diffId,
    size: async () => size,
    open: () => openVerified(tarPath, diffId),
  };
}

/** The file's bytes, failing at the end on a digest mismatch; errors and early closes propagate. */
function openVerified(path: string, expected: Digest): Readable {
  const source = createReadStream(path);
  const check = verifying(expected, path);
  source.on('error', (error) => check.destroy(error));
  check.on('close', () => source.destroy());
  return source.pipe(check);
}

/** Fails the stream at its end when the bytes do not hash to `expected`. */
function verifying(expected: Digest, path: string): DigestingStream {
  return new DigestingStream((actual) => (actual === expected
    ? undefined
    : new UserError('checksum-mismatch', `${path}: content hashes to ${actual} but the checksum file says ${expected}; rebuild the layer`)));
}

async function readOrFail(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError('missing-checksum', `${path}: cannot read the layer checksum (${describe(error)}); pass a directory holding layer.tar and checksum`, { cause: error });
  }
}

function describe(error: unknown): string {
  return error instanceof Error && 'code' in error ? String((error as { code: unknown }).code) : String(error);
}
