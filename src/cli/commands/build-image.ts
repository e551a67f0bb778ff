// `nix-strata build-image …`: the steps of buildImage (nix/build-image.nix), one library call each.
// Each step is its own process, so an action loads only the module it calls (as cli/program.ts
// does for subcommands): copy-to-root, snapshot and layer need not pay for the archive step's
// tar-stream, docker-archive source and sink.
import { Command } from 'commander';
import { defaultAttrsPath } from '../../conf/attrs-path.ts';
import { UserError } from '../../errors.ts';
import { stderrLogger } from '../../log.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

// 0 to 2^32−2, as nix/validate.nix allows: a larger id would be truncated by Docker (root-owned files).
function id(value: string, what: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 0xfffffffe) throw new UserError('bad-id', `${what} ${JSON.stringify(value)} is not an integer from 0 to 4294967294`);
  return Number(value);
}

/** Factory for the `build-image` subcommand group. */
export function buildImageCommand(): Command {
  const command = new Command('build-image').description('steps of buildImage: copy contents, snapshot a tree, write the layer, write the archive');
  command.addCommand(new Command('copy-to-root')
    .description('copy each ITEM\'s contents into DIR as `rsync -a --chown=0:0 ITEM/ DIR/` does (-k, or -K with --keep-dirlinks)')
    .requiredOption('--into <dir>', 'the layer root')
    .option('--keep-dirlinks', 'follow symlinks to directories already in DIR (keepContentsDirlinks)')
    .argument('[items...]', 'directories to copy, in order')
    .action(async (items: string[], opts: { into: string; keepDirlinks?: boolean }) => {
      const { copyToRoot } = await import('../../build-image/copy-to-root.ts');
      await copyToRoot({ into: opts.into, items, keepDirlinks: opts.keepDirlinks === true });
    }));
  command.addCommand(new Command('snapshot')
    .description('record a tree (owners and modes through find, so fakeroot\'s view) to compare against later')
    .requiredOption('--root <dir>', 'the tree')
    .requiredOption('--out <file>', 'where the snapshot is written')
    .option('--exclude <rel>', 'relative path left out with its subtree (repeatable)', collect, [] as string[])
    .action(async (opts: { root: string; out: string; exclude: string[] }) => {
      const { writeSnapshotFile } = await import('../../build-image/snapshot.ts');
      await writeSnapshotFile(opts.root, opts.out, opts.exclude);
    }));
  command.addCommand(new Command('pin')
    .description('keep every inode of a tree allocated (hard links into LINKS, open directories) until stdin ends; prints "pinned FILES DIRS" when done')
    .requiredOption('--root <dir>', 'the tree')
    .requiredOption('--links <dir>', 'a new directory on the same file system for the extra hard links')
    .option('--exclude <rel>', 'relative path left out with its subtree (repeatable)', collect, [] as string[])
    .action(async (opts: { root: string; links: string; exclude: string[] }) => {
      const { pinInodes } = await import('../../build-image/pin-inodes.ts');
      const pinned = pinInodes({ root: opts.root, links: opts.links, exclude: opts.exclude });
      process.stdout.write(`pinned ${pinned.files} ${pinned.directories}\n`);
      // Held until the caller closes our stdin (nix/build-image.nix: after the layer is written).
      process.stdin.resume();
      await new Promise<void>((resolve) => {
        process.stdin.once('end', resolve).once('close', resolve);
      });
      pinned.release();
    }));
  command.addCommand(new Command('layer')
    .description('write OUT/layer.tar and OUT/checksum: the whole tree, or with --before only what changed (deletions as .wh. whiteouts)')
    .requiredOption('--root <dir>', 'the tree')
    .requiredOption('--out <dir>', 'where layer.tar and checksum are written')
    .option('--before <file>', 'a snapshot of the tree taken earlier (build-image snapshot)')
    .option('--exclude <rel>', 'relative path left out with its subtree (repeatable)', collect, [] as string[])
    .option('--uid <n>', 'owner forced on every entry')
    .option('--gid <n>', 'group forced on every entry')
    .option('--real-owners', 'with --before: the build runs as root, so real owners that differ from fakeroot\'s records win')
    .action(async (opts: { root: string; out: string; before?: string; exclude: string[]; uid?: string; gid?: string; realOwners?: boolean }) => {
      const before = opts.before === undefined ? undefined : await (await import('../../build-image/snapshot.ts')).readSnapshotFile(opts.before);
      const owner = opts.uid === undefined && opts.gid === undefined ? undefined : { uid: id(opts.uid ?? '0', '--uid'), gid: id(opts.gid ?? '0', '--gid') };
      const { writeLayerTar } = await import('../../build-image/layer-tar.ts');
      await writeLayerTar({ root: opts.root, outDir: opts.out, exclude: opts.exclude, realOwners: opts.realOwners === true, ...(before ? { before } : {}), ...(owner ? { owner } : {}) });
    }));
  command.addCommand(new Command('archive')
    .description('write the image archive from a structured-attrs file (spec, closure, outputs.out)')
    .option('--attrs <file>', 'the .attrs.json (default: $NIX_BUILD_TOP/.attrs.json)')
    .action(async (opts: { attrs?: string }) => {
      const path = opts.attrs ?? defaultAttrsPath('the buildImage archive derivation');
      const { buildImageArchive, readBuildImageAttrs } = await import('../../steps/build-image-archive.ts');
      const { spec, closure, out } = await readBuildImageAttrs(path);
      await buildImageArchive({ spec, closure, output: out, log: stderrLogger() });
    }));
  return command;
}
