# The benchmark image: a streamLayeredImage of a synthetic closure made of this machine's own
# directories (already added to the store by bench/run.ts, passed here as store paths), plus
# one small path holding `nonce`, so a new nonce is "one small store path changed".
# `mtime` is in every layer's bytes: a fresh mtime means every layer changes.
# `extra` (a string, or null): one more small path in `contents`, for the push bench's repush.
{ copies, nonce, mtime, extra ? null, root ? ../. }:
let
  strata = import (root + "/test/nix/host.nix") { };
  inherit (strata) pkgs;
  paths = map builtins.storePath copies;
  # Small generated paths, built like nixpkgs' trivial builders (writeText, runCommandLocal):
  # locally, without asking remote builders (which would cost Nix a build-hook process).
  # The host's sh through /usr, which the bench's sandbox settings bind in.
  local = name: script: derivation {
    inherit name;
    system = builtins.currentSystem;
    builder = "/usr/bin/sh";
    args = [ "-ec" script ];
    PATH = "/usr/bin";
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
  contents = [ top ] ++ (if extra == null then [ ] else [
    (local "bench-extra" ''
      mkdir -p "$out/share"
      echo ${extra} > "$out/share/extra"
    '')
  ]);
  inherit mtime;
}
