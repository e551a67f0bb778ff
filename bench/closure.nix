# The benchmark image: a streamLayeredImage of a synthetic closure made of this machine's own
# directories (already added to the store by bench/run.ts, passed here as store paths), plus
# one small path holding `nonce`, so a new nonce is "one small store path changed".
# `mtime` is in every layer's bytes: a fresh mtime means every layer changes.
# `extra` (a string, or null): one more small path in `contents`, for the push bench's repush.
# `withLayer`: the copies (the bulk of the closure, like a runtime) in one buildLayer given as
# `layers`, so a change to the small path leaves that layer, and its compressed blob, as built.
# Attributes besides the stream: `archive` (buildLayeredImage, .tar.gz) and `nixpkgsArchive`
# (nixpkgs' buildLayeredImage: the stream piped through `pigz -nTR`).
{ copies, nonce, mtime, extra ? null, withLayer ? false, root ? ../. }:
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
  # The layer's mtime is the image's: a full build (a new mtime) rebuilds it too.
  runtime = strata.buildLayer { name = "bench-runtime"; deps = paths; inherit mtime; };
  args = {
    name = "nix-strata-bench";
    tag = "bench";
    contents = [ top ] ++ (if extra == null then [ ] else [
      (local "bench-extra" ''
        mkdir -p "$out/share"
        echo ${extra} > "$out/share/extra"
      '')
    ]);
    inherit mtime;
  } // (if withLayer then { layers = [ runtime ]; } else { });
  stream = strata.streamLayeredImage args;
in
stream // {
  archive = strata.buildLayeredImage args;
  # As nixpkgs' buildLayeredImage makes its .tar.gz (pigz through the host's /usr/bin).
  nixpkgsArchive = local "nixpkgs-style-bench.tar.gz" ''
    ${stream} | pigz -nTR > "$out"
  '';
}
