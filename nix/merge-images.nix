# mergeImages: several docker-archives in one, so one `docker load` loads every image of every
# input (nixpkgs' dockerTools.mergeImages). `nix-strata merge-images` detects each input's
# compression (plain tar, gzip or zstd, as nixpkgs' does), copies every image of each input
# (each layer and config once, named by content), lists them all in manifest.json, and
# compresses the result as the last input is compressed (gzip when there is none).
# `pkgs` is the build platform's package set (default.nix passes buildPackages).
{ pkgs, nix-strata, system }:
images:
let
  check = import ./validate.nix;
  list = if builtins.isList images && images != [ ] then images else throw "mergeImages: expects a list of image archives (buildImage or buildLayeredImage results), got ${if builtins.isList images then "an empty list" else "a ${builtins.typeOf images}"}";
  element = i: image:
    if builtins.isAttrs image && (image.isExe or false) then
      throw "mergeImages: image ${toString (i + 1)} (${image.name or "?"}) is a stream program (a streamLayeredImage result), not an archive; give buildLayeredImage's result instead"
    else "${check.fromImage "mergeImages input ${toString (i + 1)}" image}";
in
derivation {
  name = "merge-docker-images";
  inherit system;
  builder = "${nix-strata}/bin/nix-strata";
  args = [ "merge-images" "--output" (builtins.placeholder "out") ]
    ++ builtins.genList (i: element i (builtins.elemAt list i)) (builtins.length list);
  # Decompressors for the inputs, the compressor of the output.
  PATH = "${pkgs.pigz}/bin:${pkgs.zstd}/bin";
}
