// `nix-strata image-index` and `nix-strata push-index`: buildImageIndex's `oci` and `push`.
import { Command, Option } from 'commander';
import { UserError } from '../../errors.ts';
import { parseAnnotations } from '../../image/annotations.ts';
import { stderrLogger } from '../../log.ts';
import { pushImageIndex, writeImageIndex } from '../../steps/image-index.ts';

/** Factory for the `image-index` subcommand. */
export function imageIndexCommand(): Command {
  return new Command('image-index')
    .description('write an OCI layout holding an image index of the images\' OCI layouts (one platform each)')
    .argument('<layouts...>', 'the images\' oci outputs')
    .requiredOption('--name <name>', 'the index\'s repository')
    .option('--tag <tag>', 'its tag (default: the hash part of --output)')
    .requiredOption('-o, --output <dir>', 'the layout directory to write')
    .option('--annotations <json>', 'index annotations: a JSON object of strings')
    .option('-q, --quiet', 'no progress lines on stderr')
    .action(async (layouts: string[], options: { name: string; tag?: string; output: string; annotations?: string; quiet?: boolean }) => {
      await writeImageIndex({
        layouts,
        output: options.output,
        name: options.name,
        tag: options.tag,
        annotations: options.annotations === undefined ? {} : parseAnnotations(options.annotations, '--annotations'),
        log: stderrLogger({ quiet: options.quiet === true }),
      });
    });
}

/** Factory for the `push-index` subcommand. */
export function pushIndexCommand(): Command {
  return new Command('push-index')
    .description('push every image of an index layout by digest, then the index under the tags; prints the index digest')
    .argument('[destinations...]', 'where to push; none: the index\'s own name:tag')
    .requiredOption('--layout <dir>', 'the index layout (buildImageIndex\'s oci)')
    .addOption(new Option('--tls-verify [bool]', 'verify TLS (default true); false also allows plain http').default('true'))
    .option('-q, --quiet', 'no progress lines on stderr')
    .action(async (destinations: string[], options: { layout: string; tlsVerify: string | boolean; quiet?: boolean }) => {
      const tlsVerify = options.tlsVerify === true || options.tlsVerify === 'true' ? true
        : options.tlsVerify === 'false' ? false
          : (() => { throw new UserError('bad-flag', `--tls-verify=${String(options.tlsVerify)}: expected true or false`); })();
      const digest = await pushImageIndex({ layout: options.layout, destinations, tlsVerify, log: stderrLogger({ quiet: options.quiet === true }) });
      process.stdout.write(`${digest}\n`);
    });
}
