# Fixtures of the nixpkgs-parity functions (mergeImages, streamNixShellImage, variant,
# .override, buildImage's passthru, binSh/usrBinEnv/caCertificates), built through nix/ with the
# host stand-ins plus what those functions need that host-pkgs lacks: cacert (only here, so no
# existing fixture's pullImage changes) and bashInteractive (the static bash).
{ host ? import ../nix/host.nix { } }:
let
  s = host.standIns;
  n = import ../../nix {
    pkgs = host.pkgs // { inherit (s) cacert; bashInteractive = host.pkgs.bash; };
    inherit (host) nix-strata;
  };
  prefix = "nix-strata-e2e";
in
rec {
  nixStrata = n;
  inherit host;

  # mergeImages: one input of each compression, one of them already holding two images.
  merge-gz = n.buildLayeredImage { name = "${prefix}/merge-gz"; tag = "latest"; contents = [ s.hello s.busybox ]; config.Cmd = [ "hello" ]; };
  merge-zstd = n.buildLayeredImage { name = "${prefix}/merge-zstd"; tag = "latest"; contents = [ s.app-a s.busybox ]; config.Cmd = [ "app-a" ]; compressor = "zstd"; };
  merge-plain = n.buildImage { name = "${prefix}/merge-plain"; tag = "latest"; copyToRoot = [ s.app-b s.busybox ]; config.Cmd = [ "/bin/app-b" ]; compressor = "none"; };
  merged-pair = n.mergeImages [ merge-gz merge-plain ];
  # The last input is zstd, so the result is too; merged-pair's two images come along.
  merged-all = n.mergeImages [ merged-pair merge-zstd ];

  # streamNixShellImage with `run` (non-interactive) and with `command` (interactive).
  nix-shell-run = n.streamNixShellImage {
    drv = s.shellDrv;
    tag = "run";
    uid = 1234;
    gid = 2345;
    homeDirectory = "/home/builder";
    run = ''
      echo "greeting=$greeting words=$words yes=[$yes] no=[$no] setup=$SETUP_SOURCED"
      echo "longText=$(cat "$longTextPath")"
      echo "id=$(id -u):$(id -g) user=$(id -un) home=$HOME pwd=$PWD top=$NIX_BUILD_TOP term=$TERM cores=$NIX_BUILD_CORES"
      echo "flags=$-"
      buildDerivation && cat "$out/result" "$dev/result"
    '';
  };
  nix-shell-default = n.streamNixShellImage { drv = s.shellDrv; };
  nix-shell-command = n.buildNixShellImage {
    drv = s.shellDrv;
    tag = "command";
    command = ''echo "flags=$-"; echo "shell=$SHELL"'';
  };

  # variant on every builder.
  variant-layered = n.buildLayeredImage { name = "${prefix}/variant-layered"; tag = "latest"; contents = [ s.busybox ]; architecture = "arm64"; variant = "v8"; };
  variant-image = n.buildImage { name = "${prefix}/variant-image"; tag = "latest"; copyToRoot = [ s.busybox ]; architecture = "arm"; variant = "v7"; };

  # .override on every builder.
  overridden-stream = (n.streamLayeredImage { name = "${prefix}/override-stream"; tag = "one"; contents = [ s.hello ]; config.Cmd = [ "hello" ]; }).override { tag = "two"; };
  overridden-image = (n.buildImage { name = "${prefix}/override-image"; tag = "one"; copyToRoot = [ s.hello ]; config.Cmd = [ "/bin/hello" ]; }).override (old: { tag = "${old.tag}-two"; });
  overridden-nix-db = (n.buildLayeredImageWithNixDb { name = "${prefix}/override-nix-db"; tag = "one"; contents = [ s.hello s.busybox ]; }).override { tag = "two"; };

  # buildImage's passthru.layer holds the new layer as buildImage made it.
  passthru-image = n.buildImage { name = "${prefix}/passthru-image"; tag = "latest"; copyToRoot = [ ./test-dummy ]; };

  # The environment helpers, together in one image.
  helpers-image = n.buildLayeredImage {
    name = "${prefix}/helpers";
    tag = "latest";
    contents = [ n.binSh n.usrBinEnv n.caCertificates s.busybox ];
    extraCommands = ''
      printf '%s\n' '#!/usr/bin/env sh' 'echo "env shebang ran in $0"' > env-script
      chmod +x env-script
    '';
  };
}
