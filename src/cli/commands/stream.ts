// `nix-strata stream`: the body of streamLayeredImage's executable and buildLayeredImage's build.
import { Command, Option } from 'commander';
import { streamImage } from '../../steps/stream.ts';
import { checkRepoTag } from '../../registry/reference.ts';
import { parseAnnotations } from '../../image/annotations.ts';
import { stderrLogger } from '../../log.ts';
import { COMPRESSORS, parseCompressor } from '../../sinks/output.ts';
import { parseSinkFormat, STREAM_FORMATS } from '../../sinks/formats.ts';

/** Factory for the `stream` subcommand. */
export function streamCommand(): Command {
  return new Command('stream')
    .description('write the image described by a conf (or an archive) to stdout (or --output FILE), as a docker-archive by default')
    .option('--conf <file>', 'the conf written by `nix-strata conf`')
    .option('--image <file>', 'instead of --conf: a docker-archive (buildImage\'s result) to convert')
    .option('-t, --repo-tag <name:tag>', 'record this image reference instead of the conf\'s')
    .addOption(new Option('--repo_tag <name:tag>', 'same as --repo-tag (nixpkgs spelling)').hideHelp())
    .option('--format <sink>', `what to write: ${STREAM_FORMATS.join(', ')} (oci: a layout directory, with --output)`, 'docker-archive')
    .option('-o, --output <file>', 'write to a file (created only when complete) instead of stdout')
    .option('--compressor <kind>', `docker-archive: compress the whole archive (default none); oci formats: each layer (default gz): ${COMPRESSORS.join(', ')}`)
    .option('--annotations <json>', 'OCI manifest annotations: a JSON object of strings')
    .option('--sbom-dir <dir>', 'oci: store this SBOM (the image\'s passthru.sbom output) in the layout, as artifacts referring to the image')
    .option('-q, --quiet', 'no progress lines on stderr')
    .action(async (options: { conf?: string; image?: string; repoTag?: string; repo_tag?: string; output?: string; format: string; compressor?: string; quiet?: boolean; annotations?: string; sbomDir?: string }) => {
      const repoTag = options.repoTag ?? options.repo_tag;
      const format = parseSinkFormat(options.format);
      // Checked before any output exists: docker load would refuse a bad one after the whole stream.
      if (repoTag !== undefined) checkRepoTag(repoTag, '--repo-tag');
      await streamImage({
        confPath: options.conf,
        imagePath: options.image,
        format,
        ...(repoTag === undefined ? {} : { repoTag }),
        ...(options.output === undefined ? {} : { output: options.output }),
        compressor: parseCompressor(options.compressor ?? (format === 'docker-archive' ? 'none' : 'gz')),
        ...(options.annotations === undefined ? {} : { annotations: parseAnnotations(options.annotations, '--annotations') }),
        ...(options.sbomDir === undefined ? {} : { sbomDir: options.sbomDir }),
        log: stderrLogger({ quiet: options.quiet === true }),
      });
    });
}
