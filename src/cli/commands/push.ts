// `nix-strata push`: the body of the `push` / `copyToRegistry` passthru.
import { Command, Option } from 'commander';
import { UserError } from '../../errors.ts';
import { parseAnnotations } from '../../image/annotations.ts';
import { stderrLogger } from '../../log.ts';
import { checkRepoTag } from '../../registry/reference.ts';
import { pushFromSource } from '../../steps/push.ts';

/** Factory for the `push` subcommand. */
export function pushCommand(): Command {
  return new Command('push')
    .description('push the image to registries (host[:port]/repo[:tag]), sending only the blobs each lacks; prints the manifest digest')
    .argument('[destinations...]', 'where to push; none: the image\'s own name:tag')
    .option('--conf <file>', 'the conf written by `nix-strata conf`')
    .option('--image <file>', 'instead of --conf: a docker-archive (buildImage\'s result)')
    .addOption(new Option('--tls-verify [bool]', 'verify TLS (default true); false also allows plain http').default('true'))
    .option('--base <tag>', 'reuse the layers of this tag (or reference) instead of each destination\'s current one')
    .option('-t, --repo-tag <name:tag>', 'the image\'s own name:tag, the destination when none is given')
    .addOption(new Option('--compressor <kind>', 'layer compression (only gz is pushed)').default('gz').hideHelp())
    .option('--annotations <json>', 'OCI manifest annotations: a JSON object of strings')
    .option('--sbom', 'also attach the SBOM (from --sbom-dir) to the image as OCI referrers')
    .option('--sbom-dir <dir>', 'the image\'s passthru.sbom output (the push executable passes it)')
    .option('-q, --quiet', 'no progress lines on stderr')
    .action(async (destinations: string[], options: { conf?: string; image?: string; tlsVerify: string | boolean; base?: string; repoTag?: string; compressor: string; quiet?: boolean; annotations?: string; sbom?: boolean; sbomDir?: string }) => {
      const tlsVerify = parseBoolean(options.tlsVerify);
      if (options.compressor !== 'gz') {
        throw new UserError('bad-compressor', `push --compressor ${JSON.stringify(options.compressor)}: registries get gzip layers; use "gz"`);
      }
      if (options.repoTag !== undefined) checkRepoTag(options.repoTag, '--repo-tag');
      if (options.sbom === true && options.sbomDir === undefined) {
        throw new UserError('no-sbom-dir', 'push --sbom: no SBOM to attach; the image\'s push executable gives it, or pass --sbom-dir DIR (the image\'s passthru.sbom output)');
      }
      const digest = await pushFromSource({
        confPath: options.conf,
        imagePath: options.image,
        repoTag: options.repoTag,
        destinations,
        tlsVerify,
        base: options.base,
        sbomDir: options.sbom === true ? options.sbomDir : undefined,
        ...(options.annotations === undefined ? {} : { annotations: parseAnnotations(options.annotations, '--annotations') }),
        log: stderrLogger({ quiet: options.quiet === true }),
      });
      // The digest alone, last on stdout: `digest=$(push DEST | tail -n1)`.
      process.stdout.write(`${digest}\n`);
    });
}

function parseBoolean(value: string | boolean): boolean {
  if (value === true || value === 'true') return true;
  if (value === 'false') return false;
  throw new UserError('bad-flag', `--tls-verify=${String(value)}: expected true or false`);
}
