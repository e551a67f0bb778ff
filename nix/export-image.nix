# exportImage: an image's flattened root filesystem as ONE tar (what `docker export` of a
# container gives), without nixpkgs' VM: `nix-strata export` reads any docker-archive this
# project, nixpkgs, skopeo or `docker save` writes (gzip/bzip2/xz/zstd or plain) and applies
# the layers bottom to top with their whiteouts and opaque directories (src/image/flatten.ts).
# The output is the tar file itself, named like nixpkgs' (by default the base's name, even when
# that ends in .tar.gz: the bytes are an uncompressed tar either way).
# `pkgs` is the build platform's package set (default.nix passes buildPackages).
{ pkgs, nix-strata, system }:
{ # The image: a docker-archive path or derivation (buildLayeredImage, buildImage, pullImage, …).
  fromImage
  # Accepted for compatibility; the archive's first manifest entry is flattened.
, fromImageName ? null
, fromImageTag ? null
, name ? fromImage.name or (builtins.baseNameOf (toString fromImage))
  # Size of nixpkgs' build VM disk. Accepted and ignored: no VM is used.
, diskSize ? 1024
}:
derivation {
  inherit name system;
  builder = "${nix-strata}/bin/nix-strata";
  args = [ "export" "${(import ./validate.nix).fromImage name fromImage}" "--output" (builtins.placeholder "out") ];
  # Decompressors for compressed archives and layers.
  PATH = builtins.concatStringsSep ":" (map (p: "${p}/bin") (builtins.filter (p: p != null) [ pkgs.zstd (pkgs.xz or null) (pkgs.bzip2 or null) ]));
}
