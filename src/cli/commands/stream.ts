// `nix-strata stream`: the body of streamLayeredImage's executable and buildLayeredImage's build.
import { Command, Option } from 'commander';
import { streamImage } from '../../steps/stream.ts';
import { checkRepoTag } from '../../registry/reference.ts';
import { stderrLogger } from '../../log.ts';
import { COMPRESSORS, parseCompressor } from '../../sinks/output.ts';
import { parseSinkFormat, SINK_FORMATS } from '../../sinks/formats.ts';

/** Factory for the `stream` subcommand. */
export function streamCommand(): Command {
  return new Command('stream')
    .description('write the image described by a conf to stdout (or --output FILE), as a docker-archive by default')
    .requiredOption('--conf <file>', 'the conf written by `nix-strata conf`')
    .option('-t, --repo-tag <name:tag>', 'record this image reference instead of the conf\'s')
    .addOption(new Option('--repo_tag <name:tag>', 'same as --repo-tag (nixpkgs spelling)').hideHelp())
    .option('--format <sink>', `what to write: ${SINK_FORMATS.join(', ')}`, 'docker-archive')
    .option('-o, --output <file>', 'write to a file (created only when complete) instead of stdout')
    .option('--compressor <kind>', `compress the whole archive: ${COMPRESSORS.join(', ')}`, 'none')
    .option('-q, --quiet', 'no progress lines on stderr')
    .action(async (options: { conf: string; repoTag?: string; repo_tag?: string; output?: string; format: string; compressor: string; quiet?: boolean }) => {
      const repoTag = options.repoTag ?? options.repo_tag;
      const format = parseSinkFormat(options.format);
      // Checked before any output exists: docker load would refuse a bad one after the whole stream.
      if (repoTag !== undefined) checkRepoTag(repoTag, '--repo-tag');
      await streamImage({
        confPath: options.conf,
        format,
        ...(repoTag === undefined ? {} : { repoTag }),
        ...(options.output === undefined ? {} : { output: options.output }),
        compressor: parseCompressor(options.compressor),
        log: stderrLogger({ quiet: options.quiet === true }),
      });
    });
}
