// The builder of mergeImages (nixpkgs' dockerTools.mergeImages): several docker-archives as one,
// so one `docker load` loads every image of every input. Like nixpkgs: each input's
// compression is detected (plain tar, gzip, zstd; anything else is refused), every image of
// each input's manifest.json is kept, in order, and the result is compressed as the last input
// is. Unlike nixpkgs' untar-and-copy, layers and configs are named by content
// (`<diff_id hex>/layer.tar`, `<image id hex>.json`): inputs that reuse a member name for other
// bytes (this project's `layer-<position>/layer.tar`) cannot overwrite each other, and a layer
// shared by several images is stored once. Every layer is checked against its diff_id as it is
// copied (sources/docker-archive.ts), so a corrupt input fails the merge, not `docker load`.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { hexOf } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import { imageId } from '../image/ids.ts';
import { SOURCE_DATE_EPOCH } from '../image/date.ts';
import type { LayerCompression } from '../image/types.ts';
import { pythonJsonDumps } from '../json/python-compat.ts';
import type { Logger } from '../log.ts';
import { writeOutput, type Compressor } from '../sinks/output.ts';
import { detectCompression } from '../sources/docker-archive-index.ts';
import { readDockerArchive, type DockerArchiveImage } from '../sources/docker-archive.ts';
import { encodeHeader, endOfArchive, paddingFor } from '../tar/header.ts';


/** The compressions nixpkgs' mergeImages reads, and the output compressor each one means. */
const COMPRESSOR_OF: Partial<Record<LayerCompression, Compressor>> = { none: 'none', gzip: 'gz', zstd: 'zstd' };

/** Inputs of mergeImages. */
export interface MergeImagesOptions {
  /** docker-archive files, in order (plain, gzip or zstd). */
  readonly inputs: readonly string[];
  /** The merged archive to write. */
  readonly output: string;
  readonly log: Logger;
}

/** Writes one docker-archive holding every image of every input; the output appears only when complete. */
export async function mergeImages(options: MergeImagesOptions): Promise<void> {
  // Every input is checked before anything is written; the last one's compression is the output's.
  let compressor: Compressor = 'gz';
  for (const path of options.inputs) {
    const compression = await detectCompression(path);
    const own = COMPRESSOR_OF[compression];
    if (own === undefined) {
      throw new UserError('merge-compression', `${path}: is ${compression === 'xz' ? 'an' : 'a'} ${compression}-compressed archive, but mergeImages reads plain, gzip or zstd docker-archives (as nixpkgs' does); decompress it, or build it with compressor = "gz", "zstd" or "none"`);
    }
    compressor = own;
  }
  const opened: DockerArchiveImage[] = [];
  try {
    await writeOutput({ path: options.output, compressor }, (stream) =>
      pipeline(Readable.from(mergedArchive(options.inputs, opened, options.log)), stream));
  } finally {
    await Promise.all(opened.map((image) => image.dispose()));
  }
}

/** The merged archive's bytes: each image's new layers, its config, then manifest.json listing them all. */
async function* mergedArchive(inputs: readonly string[], opened: DockerArchiveImage[], log: Logger): AsyncGenerator<Buffer> {
  const written = new Set<string>();
  const entries: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
  let offset = 0;
  const emit = (bytes: Buffer): Buffer => {
    offset += bytes.length;
    return bytes;
  };
  for (const path of inputs) {
    for (let entry = 0, count = 1; entry < count; entry++) {
      const image = await readDockerArchive(path, { entry });
      opened.push(image);
      count = image.entryCount;
      log.info(`Adding image ${entry + 1} of ${count} from ${path} (${image.repoTags.join(', ') || 'untagged'})`);
      const layers: string[] = [];
      for (const layer of image.layers) {
        const name = `${hexOf(await layer.diffId())}/layer.tar`;
        layers.push(name);
        if (written.has(name)) continue;
        written.add(name);
        const size = await layer.size();
        yield emit(encodeHeader(memberHeader(name, size)));
        let copied = 0;
        for await (const chunk of layer.open()) {
          copied += (chunk as Buffer).length;
          yield emit(chunk as Buffer);
        }
        if (copied !== size) throw new Error(`${path}: layer ${name}: the archive said ${size} bytes, reading gave ${copied}`);
        yield emit(paddingFor(size));
      }
      const config = `${hexOf(imageId(image.rawConfig))}.json`;
      if (!written.has(config)) {
        written.add(config);
        yield* member(config, image.rawConfig, emit);
      }
      entries.push({ Config: config, RepoTags: [...image.repoTags], Layers: layers });
      // An uncompressed copy of a compressed input is needed no longer.
      await image.dispose();
    }
  }
  log.info('Adding manifests...');
  yield* member('manifest.json', Buffer.from(pythonJsonDumps(entries), 'utf8'), emit);
  yield emit(endOfArchive(offset));
  log.info('Done.');
}

function* member(name: string, bytes: Buffer, emit: (bytes: Buffer) => Buffer): Generator<Buffer> {
  yield emit(encodeHeader(memberHeader(name, bytes.length)));
  yield emit(bytes);
  yield emit(paddingFor(bytes.length));
}

function memberHeader(name: string, size: number) {
  return { name, type: 'file' as const, mode: 0o444, uid: 0, gid: 0, uname: 'root', gname: 'root', size, mtime: SOURCE_DATE_EPOCH };
}
