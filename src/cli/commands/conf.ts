// `nix-strata conf`: run by the conf derivation (docs/contract.md).
import { Command } from 'commander';
import { buildConf } from '../../steps/conf.ts';
import { defaultAttrsPath } from '../../conf/attrs-path.ts';
import { stderrLogger } from '../../log.ts';

/** Factory for the `conf` subcommand. */
export function confCommand(): Command {
  return new Command('conf')
    .description('plan the layers of a __structuredAttrs build (.attrs.json: spec + closure graph) and write the conf the stream reads')
    .option('--attrs <file>', 'the derivation attributes (default: $NIX_BUILD_TOP/.attrs.json)')
    .option('--out <file>', 'where to write the conf (default: the derivation output)')
    .option('--plan <file>', "where to write the store layers' plans, sized from their metadata (default: the derivation's plan output, if any)")
    .option('--debug', 'print the layer table to stderr')
    .action(async (options: { attrs?: string; out?: string; plan?: string; debug?: boolean }) => {
      await buildConf({
        attrsPath: options.attrs ?? defaultAttrsPath('a __structuredAttrs Nix build'),
        ...(options.out === undefined ? {} : { outPath: options.out }),
        ...(options.plan === undefined ? {} : { planPath: options.plan }),
        debug: options.debug === true,
        log: stderrLogger(),
      });
    });
}
