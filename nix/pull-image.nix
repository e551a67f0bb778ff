# pullImage: an image fetched from a registry by digest as a docker-archive, in a fixed-output
# derivation run by nix-strata's own registry client (OCI distribution API over HTTP(S) with
# token auth; no skopeo). Private registries: set NIX_STRATA_REGISTRY_USERNAME and
# NIX_STRATA_REGISTRY_PASSWORD in the environment of the Nix build (they are impureEnvVars;
# with a Nix daemon they must be in the daemon's environment).
#
# NOTE: the archive's bytes differ from the skopeo-made archive of nixpkgs' pullImage (member
# names, headers, config file name), so the `sha256`/`hash` pinned for nixpkgs does NOT match:
# build once with a fake hash and re-pin the value Nix reports. The image itself (manifest
# digest, layer diff_ids, image ID) is the same.
# `pkgs` is the build platform's package set (default.nix passes buildPackages).
{ pkgs, nix-strata, system, goArch }:
{ # Repository, e.g. "docker.io/library/alpine" or "127.0.0.1:5000/team/app".
  imageName
  # Manifest (or index) digest, "sha256:<hex>".
, imageDigest
  # Hash of the resulting archive: `sha256` (base32/hex) or an SRI `hash`.
, sha256 ? ""
, hash ? ""
  # The reference recorded in the archive (what `docker load` tags).
, finalImageName ? imageName
, finalImageTag ? "latest"
  # Platform chosen from an image index.
, os ? "linux"
, arch ? goArch
, variant ? null
  # false also allows plain http (local registries).
, tlsVerify ? true
, name ? builtins.replaceStrings [ "/" ":" ] [ "-" "-" ] "docker-image-${finalImageName}-${finalImageTag}.tar"
}:
let
  outputHash =
    if hash != "" && sha256 != "" then throw "pullImage ${imageName}: give either sha256 or hash, not both"
    else if hash != "" then hash
    else if sha256 != "" then sha256
    else throw "pullImage ${imageName}: sha256 or hash is required (build once with a fake one to learn it)";
  isSri = builtins.match "[a-z0-9]+-.*" outputHash != null;
  # A fixed-output derivation has network but no /etc/ssl: trust cacert's bundle, as nixpkgs'
  # pullImage and fetchers do (nix-strata reads SSL_CERT_FILE as its CAs, src/registry/trust.ts).
  cacert = pkgs.cacert or null;
  caBundle = if cacert == null then { } else rec {
    SSL_CERT_FILE = "${cacert}/etc/ssl/certs/ca-bundle.crt";
    NIX_SSL_CERT_FILE = SSL_CERT_FILE;
  };
in
derivation (caBundle // {
  inherit name system imageDigest;
  imageName = finalImageName;
  imageTag = finalImageTag;
  builder = "${nix-strata}/bin/nix-strata";
  args = [
    "pull" imageName
    "--digest" imageDigest
    "--output" (builtins.placeholder "out")
    "--os" os
    "--arch" (if variant == null then arch else "${arch}/${variant}")
    "--final-name" finalImageName
    "--final-tag" finalImageTag
    # Uncompressed layers, as skopeo's docker-archive has them.
    "--decompress"
  ] ++ (if tlsVerify then [ ] else [ "--no-tls-verify" ]);
  PATH = builtins.concatStringsSep ":" (map (p: "${p}/bin") (builtins.filter (p: p != null) [ pkgs.zstd (pkgs.xz or null) (pkgs.bzip2 or null) ]));
  impureEnvVars = [
    "http_proxy" "https_proxy" "ftp_proxy" "all_proxy" "no_proxy"
    "HTTP_PROXY" "HTTPS_PROXY" "FTP_PROXY" "ALL_PROXY" "NO_PROXY"
    "NIX_STRATA_REGISTRY_USERNAME" "NIX_STRATA_REGISTRY_PASSWORD"
    # Extra CA certificates for a private registry, trusted besides cacert's bundle.
    "NODE_EXTRA_CA_CERTS"
  ];
  outputHashMode = "flat";
  inherit outputHash;
  preferLocalBuild = true;
} // (if isSri then { } else { outputHashAlgo = "sha256"; }))
