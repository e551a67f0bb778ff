# A stand-in for the nixpkgs flake, wired to this machine's programs, so nix-strata's real
# flake.nix can be built and run offline:
#
#   nix build --override-input nixpkgs ./test/nix/host-nixpkgs .#hello
#   nix run --override-input nixpkgs ./test/nix/host-nixpkgs .#hello.stream | docker load
#
# legacyPackages.<system> holds what nix/ and nix/package.nix use (../host-pkgs.nix,
# ../host-npm.nix), the example packages hello and busybox (../stand-ins.nix), a fakeNss of
# its own (as nixpkgs has), `callPackage` and `extend` (for overlays). The builder is compiled
# from the flake's own src/ inside a derivation, with npm dependencies taken from npm's cache
# (`npm ci` must have run once).
# Builds with the sandbox on when host programs are visible under /usr (extra-sandbox-paths, as
# scripts/setup-host.sh sets it); run test/nix/seed-npm-tarballs.sh once after `npm ci`.
{
  description = "Host-wired stand-in for nixpkgs (nix-strata tests only)";

  outputs = { self }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];

      pkgsFor = system: overlays:
        let
          host = import ../host-pkgs.nix { inherit system; };
          npm = import ../host-npm.nix { pkgs = host; };
          standIns = import ../stand-ins.nix { pkgs = host; };
          base = final: host // npm // {
            inherit (standIns) hello busybox;
            # nixpkgs' coreutils are dynamically linked, so fakeroot sees their chown even as a
            # build user (the examples' fakeRootCommands chown): busybox's applets, with chown,
            # chmod and mknod from the dynamically linked copies.
            coreutils = host.hostBuild "coreutils-nixpkgs-like" ''
              mkdir -p "$out/bin"
              for p in ${host.coreutils}/bin/*; do ln -s "$(readlink "$p")" "$out/bin/''${p##*/}"; done
              for p in chown chmod mknod; do ln -sf ${standIns.dynamicCoreutils}/bin/$p "$out/bin/$p"; done
            '';
            # nixpkgs' own fakeNss, at both of its names, for the overlay to replace (never built).
            fakeNss = host.hostBuild "nixpkgs-fake-nss" "mkdir -p $out/etc";
            dockerTools.fakeNss = final.fakeNss;
            callPackage = fn: args:
              let f = if builtins.isFunction fn then fn else import fn; in
              f (builtins.intersectAttrs (builtins.functionArgs f) final // args);
            extend = overlay: pkgsFor system (overlays ++ [ overlay ]);
          };
          extendWith = f: overlay: final: let prev = f final; in prev // overlay final prev;
          fix = f: let x = f x; in x;
        in
        fix (builtins.foldl' extendWith base overlays);
    in
    {
      legacyPackages = builtins.listToAttrs (map (system: { name = system; value = pkgsFor system [ ]; }) systems);
    };
}
