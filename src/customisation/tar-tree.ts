// The customisation layer's `layer.tar` and `checksum` (format.md §5), written the way GNU tar
// (`--sort=name --numeric-owner --mtime=@315532800 --hard-dereference`, default gnu format)
// writes a directory tree, without needing GNU tar at build time.
import { SOURCE_DATE_EPOCH } from '../image/date.ts';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readlinkSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { digestFromHex, type Digest } from '../digest/digest.ts';
import { removeOnInterrupt } from '../cleanup.ts';
import { outputError, UserError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { makeOutputDirectory } from '../sinks/output-dir.ts';
import { stagingDirectory } from '../sinks/output-target.ts';
import { ChunkBuffer, describeFsError, openForContent } from '../tar/chunks.ts';
import { encodeGnuHeader, type GnuEntryType } from '../tar/gnu-header.ts';
import { reconcileListing } from './fakeroot-records.ts';
import { listTree, listTreeDirectly, runForOutput, type TreeListingEntry } from './tree-listing.ts';

/** nixpkgs' SOURCE_DATE_EPOCH, the mtime of every customisation entry. */
export const CUSTOMISATION_MTIME = SOURCE_DATE_EPOCH;

/** What to archive and where. */
export interface TreeTarOptions {
  /** The directory whose contents become the layer (it is the entry `./`). */
  readonly root: string;
  /** Where `layer.tar` and `checksum` are written (created if missing). */
  readonly outDir: string;
  /** Relative paths left out with their subtrees (dev, proc, sys, nix/store … under a fake chroot). */
  readonly exclude?: readonly string[];
  /**
   * Owner recorded for every entry instead of the listed one. 0:0 is what fakeroot reports for
   * every file not chowned in its session, so a layer without fakeRootCommands needs no session.
   */
  readonly owner?: { readonly uid: number; readonly gid: number } | undefined;
  /** Told about sockets, which GNU tar skips too. */
  readonly log?: Logger;
  /** Without `owner`: the build runs as root (fakeroot -u), so real owners that differ from fakeroot's records win (fakeroot-records.ts). */
  readonly realOwners?: boolean;
}

/** Writes `<outDir>/layer.tar` and `<outDir>/checksum` for the tree and returns the tar's digest and size. */
export async function writeTreeTar(options: TreeTarOptions): Promise<{ digest: Digest; size: number }> {
  // An output directory inside the tree would archive the archive being written: leave it out.
  const outInside = relative(resolve(options.root), resolve(options.outDir));
  const exclude = [...(options.exclude ?? [])];
  if (outInside !== '' && !outInside.startsWith('..') && !isAbsolute(outInside)) exclude.push(outInside);
  // With the owner forced nothing depends on fakeroot's view, so Node lists the tree itself.
  const { listing, devices } = options.owner !== undefined
    ? await listTreeDirectly(options.root, exclude)
    : await listingWithDevices(options.root, exclude, options.realOwners === true);
  return writeLayerFiles(options.outDir, treeTarChunks(options.root, listing, devices, options.log, options.owner));
}

// find's listing (fakeroot's view, corrected where a static program acted behind its records)
// and `stat`'s device numbers.
async function listingWithDevices(root: string, exclude: readonly string[], realOwners: boolean): Promise<{ listing: TreeListingEntry[]; devices: Map<string, { major: number; minor: number }> }> {
  const listing = reconcileListing(await listTree(root, exclude), { root, realOwners, step: 'fakeRootCommands' });
  return { listing, devices: await deviceNumbers(root, listing) };
}

/**
 * Streams `chunks` to `<outDir>/layer.tar` (creating `outDir`) and writes its sha256 to
 * `<outDir>/checksum`; shared with buildImage's layer (build-image/layer-tar.ts). A failure or
 * an interrupt removes what was written (and `outDir`, when this made it).
 */
export async function writeLayerFiles(outDir: string, chunks: Generator<Buffer>): Promise<{ digest: Digest; size: number }> {
  // A Nix builder's output is made in the build directory and renamed (output-target.ts).
  const staged = stagingDirectory(outDir);
  const created = staged ?? makeOutputDirectory(outDir);
  const dir = staged ?? outDir;
  const written = created !== undefined ? [created] : [join(outDir, 'layer.tar'), join(outDir, 'checksum')];
  const guards = written.map((path) => removeOnInterrupt(path));
  try {
    const result = await writeLayerTar(join(dir, 'layer.tar'), chunks);
    const checksum = join(dir, 'checksum');
    try {
      writeFileSync(checksum, `${result.hex}\n`);
      if (staged !== undefined) renameSync(staged, outDir);
    } catch (error) {
      throw outputError(error, staged === undefined ? checksum : outDir);
    }
    return { digest: digestFromHex(result.hex), size: result.size };
  } catch (error) {
    for (const path of written) rmSync(path, { recursive: true, force: true });
    throw error;
  } finally {
    for (const guard of guards) guard.release();
  }
}

// Bytes written between two turns of the event loop, so that a signal is handled mid-layer.
const YIELD_EVERY = 32 << 20;

async function writeLayerTar(file: string, chunks: Generator<Buffer>): Promise<{ hex: string; size: number }> {
  // Synchronous writes: the chunks come from a synchronous generator, and a stream pipeline
  // would only add modules to load and event-loop turns (paid by every rebuild's small layer).
  const hash = createHash('sha256');
  let size = 0;
  let sinceYield = 0;
  let fd: number;
  try {
    fd = openSync(file, 'w');
  } catch (error) {
    throw outputError(error, file);
  }
  try {
    for (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.length;
      try {
        for (let written = 0; written < chunk.length;) written += writeSync(fd, chunk, written, chunk.length - written);
      } catch (error) {
        throw outputError(error, file);
      }
      sinceYield += chunk.length;
      if (sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  } finally {
    closeSync(fd);
  }
  return { hex: hash.digest('hex'), size };
}

/** The GNU tar bytes of a listed tree, in `--sort=name` order (depth-first, bytewise per directory). */
export function* treeTarChunks(
  root: string,
  listing: readonly TreeListingEntry[],
  devices: ReadonlyMap<string, { major: number; minor: number }> = new Map(),
  log?: Logger,
  owner?: { readonly uid: number; readonly gid: number },
): Generator<Buffer> {
  const children = new Map<string, TreeListingEntry[]>();
  let top: TreeListingEntry | undefined;
  for (const entry of listing) {
    if (entry.path === '') {
      top = entry;
      continue;
    }
    const slash = entry.path.lastIndexOf('/');
    const parent = slash < 0 ? '' : entry.path.slice(0, slash);
    let siblings = children.get(parent);
    if (!siblings) children.set(parent, (siblings = []));
    siblings.push(entry);
  }
  if (!top || top.kind !== 'd') throw new UserError('not-a-directory', `${root} is not a directory; pass the customisation tree's root to --root`);
  // latin1 strings hold one byte per character, so the default comparison is bytewise (strcmp).
  for (const siblings of children.values()) siblings.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const out = new ChunkBuffer();
  const rootDisk = root.replace(/\/+$/, '');
  const stack: TreeListingEntry[] = [top];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    yield* treeEntryChunks(out, rootDisk, entry, devices, { log, owner });
    if (entry.kind === 'd') {
      const below = children.get(entry.path) ?? [];
      for (let i = below.length - 1; i >= 0; i--) stack.push(below[i]!);
    }
  }
  yield* out.end();
}

/** How `treeEntryChunks` writes an entry beyond what the listing says. */
export interface TreeEntryOptions {
  /** Owner forced on the entry (buildImage's uid/gid); default: the listed one. */
  readonly owner?: { readonly uid: number; readonly gid: number } | undefined;
  /** Told about sockets, which are skipped. */
  readonly log?: Logger | undefined;
}

/** The GNU tar header (and content) of one listed entry of the tree at `rootDisk`, through `out`. */
export function* treeEntryChunks(
  out: ChunkBuffer,
  rootDisk: string,
  entry: TreeListingEntry,
  devices: ReadonlyMap<string, { major: number; minor: number }>,
  options: TreeEntryOptions = {},
): Generator<Buffer> {
  const { owner, log } = options;
  const relative = Buffer.from(entry.path, 'latin1');
  const disk = Buffer.concat([Buffer.from(rootDisk, 'utf8'), Buffer.from('/'), relative]);
  const label = `${rootDisk}/${relative.toString('utf8')}`;
  const name = Buffer.from(entry.kind === 'd' ? (entry.path === '' ? './' : `./${entry.path}/`) : `./${entry.path}`, 'latin1');
  const common = { name, mode: entry.mode, uid: owner?.uid ?? entry.uid, gid: owner?.gid ?? entry.gid, mtime: CUSTOMISATION_MTIME };
  switch (entry.kind) {
    case 'd':
      yield* out.put(encodeGnuHeader({ ...common, type: 'directory', size: 0 }));
      return;
    case 'l':
      yield* out.put(encodeGnuHeader({ ...common, type: 'symlink', size: 0, linkname: readLink(disk, label) }));
      return;
    case 'f': {
      // Hard links are dereferenced: every name carries the full content.
      const fd = openForContent({ diskPath: disk, label });
      try {
        yield* out.put(encodeGnuHeader({ ...common, type: 'file', size: entry.size }));
        yield* out.fileContent(fd, entry.size, { diskPath: disk, label });
      } finally {
        closeSync(fd);
      }
      return;
    }
    case 'p':
      yield* out.put(encodeGnuHeader({ ...common, type: 'fifo', size: 0 }));
      return;
    case 'c':
    case 'b': {
      const type: GnuEntryType = entry.kind === 'c' ? 'char-device' : 'block-device';
      const numbers = devices.get(entry.path) ?? { major: 0, minor: 0 };
      yield* out.put(encodeGnuHeader({ ...common, type, size: 0, devmajor: numbers.major, devminor: numbers.minor }));
      return;
    }
    case 's':
      // GNU tar skips sockets with a warning ("socket ignored"); so do we.
      log?.info(`tar-tree: ${label}: socket ignored`);
      return;
    default:
      throw new UserError('unsupported-file-type', `${label} has a file type tar cannot store (find type ${entry.kind}); remove it from the tree`);
  }
}

/** Major/minor numbers of the listed devices, by path: find cannot print them; `stat` (also a child process, so fakeroot's view) can. */
export async function deviceNumbers(root: string, listing: readonly TreeListingEntry[]): Promise<Map<string, { major: number; minor: number }>> {
  const result = new Map<string, { major: number; minor: number }>();
  const rootDisk = root.replace(/\/+$/, '');
  for (const entry of listing) {
    if (entry.kind !== 'c' && entry.kind !== 'b') continue;
    const path = Buffer.concat([Buffer.from(`${rootDisk}/`, 'utf8'), Buffer.from(entry.path, 'latin1')]).toString('utf8');
    const stdout = (await runForOutput('stat', ['-c', '%t %T %F', path])).toString('utf8');
    const [major, minor, ...type] = stdout.trim().split(' ');
    // A statically linked `stat` sees the empty file fakeroot's mknod made, not the device
    // (its numbers would be 0, 0 without a word).
    if (!/^(character|block) special file$/.test(type.join(' '))) {
      throw new UserError('stat-without-fakeroot', `the stat on PATH sees /${Buffer.from(entry.path, 'latin1').toString('utf8')} as a ${type.join(' ')}, not the device fakeroot made (a statically linked stat cannot see fakeroot); put a dynamically linked coreutils on the build's PATH`);
    }
    result.set(entry.path, { major: parseInt(major ?? '0', 16), minor: parseInt(minor ?? '0', 16) });
  }
  return result;
}

function readLink(disk: Buffer, label: string): Buffer {
  try {
    return readlinkSync(disk, { encoding: 'buffer' });
  } catch (error) {
    throw new UserError('unreadable-file', `cannot read symlink ${label}: ${describeFsError(error)}`, { cause: error });
  }
}
