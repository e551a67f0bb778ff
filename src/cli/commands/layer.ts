// `nix-strata layer`: run by buildLayer's derivation (nix/build-layer.nix, docs/contract.md).
import { Command } from 'commander';
import { defaultAttrsPath } from '../../conf/attrs-path.ts';
import { buildLayer } from '../../steps/build-layer.ts';

/** Factory for the `layer` subcommand. */
export function layerCommand(): Command {
  return new Command('layer')
    .description('write a reusable store layer (layer.json + compressed blob) from a __structuredAttrs build (.attrs.json: spec + closure graph)')
    .option('--attrs <file>', 'the derivation attributes (default: $NIX_BUILD_TOP/.attrs.json)')
    .action(async (options: { attrs?: string }) => {
      await buildLayer(options.attrs ?? defaultAttrsPath('a buildLayer derivation'));
    });
}
