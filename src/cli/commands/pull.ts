// `nix-strata pull`: fetch an image from a registry by digest into a docker-archive (pullImage).
import { Command } from 'commander';
import { stderrLogger } from '../../log.ts';
import { pullToDockerArchive } from '../../steps/pull.ts';

/** Factory for the `pull` subcommand. */
export function pullCommand(): Command {
  return new Command('pull')
    .description('fetch an image by digest from a registry (OCI distribution API) and write it as a docker-archive')
    .argument('<reference>', 'image reference, [registry/]repository[:tag][@digest]')
    .option('--digest <digest>', 'manifest or index digest, sha256:<hex> (instead of @digest in REFERENCE)')
    .requiredOption('--output <file>', 'where to write the docker-archive')
    .option('--os <os>', 'operating system to choose from an index', 'linux')
    .option('--arch <arch>', 'architecture to choose from an index (may carry a variant, e.g. arm/v7)', 'amd64')
    .option('--tls-verify', 'verify TLS certificates', true)
    .option('--no-tls-verify', 'do not verify TLS certificates; also allows plain http')
    .option('--final-name <name>', 'repository name recorded in the archive (default: as in REFERENCE)')
    .option('--final-tag <tag>', 'tag recorded in the archive', 'latest')
    .option('--decompress', 'store layers uncompressed, as skopeo does')
    .option('--quiet', 'no progress on stderr')
    .action(async (reference: string, opts: { digest?: string; output: string; os: string; arch: string; tlsVerify: boolean; finalName?: string; finalTag: string; decompress?: boolean; quiet?: boolean }) => {
      await pullToDockerArchive({
        reference,
        ...(opts.digest !== undefined ? { digest: opts.digest } : {}),
        output: opts.output,
        os: opts.os,
        arch: opts.arch,
        tlsVerify: opts.tlsVerify,
        ...(opts.finalName !== undefined ? { finalName: opts.finalName } : {}),
        finalTag: opts.finalTag,
        decompress: opts.decompress === true,
        log: stderrLogger({ quiet: opts.quiet === true }),
      });
    });
}
