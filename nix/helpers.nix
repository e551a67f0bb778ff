# dockerTools' environment helpers, for images without the overlay (pkgs.nix-strata.binSh …),
# with the links nixpkgs documents (doc/build-helpers/images/dockertools.section.md):
#   usrBinEnv       /usr/bin/env -> coreutils' env, for `#!/usr/bin/env` scripts;
#   binSh           /bin/sh -> bashInteractive's bash (`docker run -it IMAGE /bin/sh`);
#   caCertificates  cacert's bundle at /etc/ssl/certs/ca-bundle.crt (old NixOS),
#                   /etc/ssl/certs/ca-certificates.crt (NixOS, Debian, Arch, Gentoo) and
#                   /etc/pki/tls/certs/ca-bundle.crt (CentOS, Fedora).
# Each is one store path of symlinks, as nixpkgs' are. The targets are the host platform's
# (they go into images); the derivations run on the build platform. A package set without
# bashInteractive (this repository's stand-ins) links /bin/sh to its `bash`.
{ pkgs, system }:
let
  buildPackages = pkgs.buildPackages or pkgs;
  # A package set without cacert (a small stand-in) has no caCertificates; saying so beats
  # Nix's "attribute 'cacert' missing".
  cacert = pkgs.cacert or (throw "nix-strata.caCertificates: this package set has no cacert, whose bundle it links to");

  # A store path holding `links` (path in the output -> target), nothing else.
  linkFarm = name: links: derivation {
    inherit name system;
    builder = "${buildPackages.bash}/bin/bash";
    __structuredAttrs = true;
    preferLocalBuild = true;
    paths = map (l: l.path) links;
    targets = map (l: l.target) links;
    args = [
      "-e"
      "-c"
      ''
        ${import ./source-attrs.nix}
        out=''${outputs[out]}
        for i in "''${!paths[@]}"; do
          ${buildPackages.coreutils}/bin/mkdir -p "$out/$(${buildPackages.coreutils}/bin/dirname "''${paths[$i]}")"
          ${buildPackages.coreutils}/bin/ln -s "''${targets[$i]}" "$out/''${paths[$i]}"
        done
      ''
    ];
  };
  bundle = "${cacert}/etc/ssl/certs/ca-bundle.crt";
in
{
  usrBinEnv = linkFarm "usr-bin-env" [ { path = "usr/bin/env"; target = "${pkgs.coreutils}/bin/env"; } ];
  binSh = linkFarm "bin-sh" [ { path = "bin/sh"; target = "${pkgs.bashInteractive or pkgs.bash}/bin/bash"; } ];
  caCertificates = linkFarm "ca-certificates" [
    { path = "etc/ssl/certs/ca-bundle.crt"; target = bundle; }
    { path = "etc/ssl/certs/ca-certificates.crt"; target = bundle; }
    { path = "etc/pki/tls/certs/ca-bundle.crt"; target = bundle; }
  ];
}
