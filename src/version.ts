// nix-strata's own version, from package.json, which sits one level above src/ and dist/
// (in the checkout and in the Nix package alike).
import { readFileSync } from 'node:fs';

/** The package version (`nix-strata --version`, the SBOM's creator tool). */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}
