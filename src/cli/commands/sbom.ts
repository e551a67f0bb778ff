// `nix-strata sbom`: run by an image's `passthru.sbom` derivation (docs/contract.md), or by hand
// with a conf and a closure graph.
import { Command } from 'commander';
import { defaultAttrsPath } from '../../conf/attrs-path.ts';
import { readConf } from '../../conf/conf.ts';
import { UserError } from '../../errors.ts';
import { stderrLogger } from '../../log.ts';
import { readGraphFile, readSbomAttrs, writeSbom } from '../../steps/sbom.ts';

/** Factory for the `sbom` subcommand. */
export function sbomCommand(): Command {
  return new Command('sbom')
    .description('write sbom.spdx.json (SPDX 2.3) and sbom.cdx.json (CycloneDX 1.5) of an image: one package per store path, from the closure graph and the layer plan')
    .option('--attrs <file>', 'the SBOM derivation\'s attributes (default: $NIX_BUILD_TOP/.attrs.json)')
    .option('--conf <file>', 'a layered image\'s conf (instead of --attrs; needs --graph)')
    .option('--graph <file>', 'the closure graph with narHash: exportReferencesGraph JSON, or `nix path-info --json --recursive CONF`')
    .option('--out <dir>', 'the directory to write (default: the derivation output)')
    .action(async (options: { attrs?: string; conf?: string; graph?: string; out?: string }) => {
      const log = stderrLogger();
      if (options.conf !== undefined || options.graph !== undefined) {
        if (options.conf === undefined || options.graph === undefined) throw new UserError('sbom-usage', 'sbom: --conf and --graph go together; give both (or --attrs)');
        if (options.out === undefined) throw new UserError('sbom-usage', 'sbom: --out DIR is required with --conf');
        const conf = await readConf(options.conf);
        const graph = await readGraphFile(options.graph, conf.storeDir);
        await writeSbom({ spec: { version: 1, conf }, graph, outDir: options.out, log });
        return;
      }
      const attrsPath = options.attrs ?? defaultAttrsPath('an image\'s sbom derivation');
      const { spec, graph, out } = await readSbomAttrs(attrsPath);
      const outDir = options.out ?? out;
      if (outDir === undefined) throw new UserError('attrs-malformed', `${attrsPath}: no outputs.out; pass --out DIR`);
      await writeSbom({ spec, graph, outDir, log });
    });
}
