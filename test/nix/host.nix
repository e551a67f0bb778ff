# nix-strata wired to this machine instead of nixpkgs: `import ./test/nix/host.nix { }` has the
# same attributes as nix/default.nix (streamLayeredImage, buildLayeredImage,
# buildLayeredImageWithNixDb, fakeNss), plus `pkgs` (the host stand-ins, test/nix/host-pkgs.nix)
# and `standIns` (hello, busybox, ... from test/nix/stand-ins.nix).
#
# The builder is the working tree's compiled one: run `npm ci && npm run build` first. Its
# bin/, dist/, package.json and production node_modules are copied into the store, so a new
# build of dist/ gives new images. With the sandbox on, host programs
# come through extra-sandbox-paths = /usr /lib=/usr/lib /lib64=/usr/lib64 (scripts/setup-host.sh).
{ system ? builtins.currentSystem
, root ? ../..
, hostBin ? "/usr/bin"   # where the host's programs and libraries are (see host-pkgs.nix)
, hostLib ? "/usr/lib"
}:
let
  pkgs = import ./host-pkgs.nix { inherit system hostBin hostLib; };

  lock = builtins.fromJSON (builtins.readFile (root + "/package-lock.json"));
  isDevOnly = relative: (lock.packages.${relative} or { }).dev or false;

  # The runtime files of the package: what `npm pack` plus `npm prune --omit dev` would keep.
  source =
    if !builtins.pathExists (root + "/dist/cli/main.js") then
      throw "test/nix/host.nix: ${toString root}/dist is missing; run `npm ci && npm run build` first"
    else
      builtins.path {
        name = "nix-strata-source";
        path = root;
        filter = path: type:
          let relative = builtins.substring (builtins.stringLength (toString root) + 1) (-1) path; in
          builtins.elem relative [ "bin" "dist" "package.json" "node_modules" ]
          || (builtins.match "(bin|dist)/.*" relative != null)
          || (builtins.match "node_modules/.*" relative != null && !isDevOnly relative);
      };

  # bin/nix-strata: node running the compiled CLI, with the programs the builder spawns on PATH.
  nix-strata = pkgs.hostBuild "nix-strata" ''
    mkdir -p "$out/bin"
    printf '%s\n' '#!${pkgs.bash}/bin/bash' \
      'export PATH="''${PATH:+$PATH:}${builtins.concatStringsSep ":" (map (p: "${p}/bin") [ pkgs.findutils pkgs.coreutils pkgs.pigz pkgs.zstd pkgs.xz pkgs.bzip2 pkgs.util-linuxMinimal ])}"' \
      'exec ${pkgs.nodejs}/bin/node ${source}/bin/nix-strata.js "$@"' > "$out/bin/nix-strata"
    chmod 0555 "$out/bin/nix-strata"
  '';
in
import ../../nix { inherit pkgs nix-strata; } // {
  inherit pkgs nix-strata;
  standIns = import ./stand-ins.nix { inherit pkgs; };
}
