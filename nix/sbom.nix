# passthru.sbom of every image: a derivation whose output directory holds sbom.spdx.json
# (SPDX 2.3) and sbom.cdx.json (CycloneDX 1.5), one package per store path in the image
# (docs/contract.md). One builder call, `nix-strata sbom`, reading the closure graph Nix exports
# (narHash, references) and the layer plan: no scanner, no store file read, so it builds in the
# sandbox. Being passthru, it changes no image derivation. `pkgs` is the build platform's set.
{ pkgs, nix-strata, system }:
let
  inherit (builtins) concatStringsSep filter map storeDir;
  binPath = packages: concatStringsSep ":" (map (p: "${p}/bin") (filter (p: p != null) packages));

  sbomDerivation = { name, sbom, graphRoots }: derivation {
    inherit name system sbom;
    builder = "${nix-strata}/bin/nix-strata";
    args = [ "sbom" ];
    __structuredAttrs = true;
    # Everything the image's layers hold, with narHash and references, and nothing read.
    exportReferencesGraph.graph = graphRoots;
    # It only writes two JSON files from the graph: a remote builder would cost more.
    preferLocalBuild = true;
    # Decompressors for a fromImage base (its layer count, and buildImage's base store paths).
    PATH = binPath [ pkgs.pigz pkgs.zstd (pkgs.xz or null) (pkgs.bzip2 or null) ];
  };
in
{
  # streamLayeredImage / buildLayeredImage: the conf holds the plan, and its output references
  # every store path of the plan, so the conf's closure is the image's store paths (and more).
  ofConf = { baseName, conf }: sbomDerivation {
    name = "${baseName}-sbom";
    sbom = { version = 1; conf = "${conf}"; };
    graphRoots = [ conf ];
  };

  # buildImage: the new layer holds `layer`'s closure, less what the base image already has.
  ofBuildImage = { baseName, imageName, imageTag, created, fromImage, layer }: sbomDerivation {
    name = "${baseName}-sbom";
    sbom = { version = 1; inherit imageName imageTag created fromImage storeDir; layer = "${layer}"; };
    graphRoots = [ layer ];
  };
}
