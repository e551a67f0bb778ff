# The benchmark image: a streamLayeredImage of a synthetic closure made of this machine's own
# directories (already added to the store by bench/run.ts, passed here as store paths), plus
# one small path holding `nonce`, so a new nonce is "one small store path changed".
# `mtime` is part of every layer's digest-cache key: a fresh mtime means no cached digests.
{ copies, nonce, mtime, root ? ../. }:
let
  strata = import (root + "/test/nix/host.nix") { };
  inherit (strata) pkgs;
  paths = map builtins.storePath copies;
  # Small generated paths, built like nixpkgs' trivial builders (writeText, runCommandLocal):
  # locally, without asking remote builders (which would cost Nix a build-hook process).
  local = name: script: derivation {
    inherit name;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-ec" script ];
    PATH = "/usr/bin:/bin";
    preferLocalBuild = true;
  };
  small = local "bench-small" ''
    mkdir -p "$out"
    echo ${nonce} > "$out/nonce"
  '';
  top = local "bench-root" ''
    mkdir -p "$out"
    echo ${toString (paths ++ [ small ])} > "$out/references"
  '';
in
strata.streamLayeredImage {
  name = "nix-strata-bench";
  tag = "bench";
  contents = [ top ];
  inherit mtime;
}
