{
  description = "nix-strata: container images from Nix closures, a drop-in for dockerTools.buildLayeredImage / streamLayeredImage";

  # Real users get nixpkgs. Offline tests swap in a host-wired stand-in with
  # `--override-input nixpkgs ./test/nix/host-nixpkgs` (see test/nix/host-nixpkgs/flake.nix).
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forEachSystem = f: builtins.listToAttrs (map (system: { name = system; value = f system; }) systems);
      mapAttrs = builtins.mapAttrs;

      # nixpkgs with our overlay applied: pkgs.dockerTools.* are nix-strata's. Computed once
      # per system (extending nixpkgs is costly) and shared by packages, apps and checks.
      pkgsBySystem = forEachSystem (system: nixpkgs.legacyPackages.${system}.extend self.overlays.default);
      examplesBySystem = forEachSystem (system: import ./examples { pkgs = pkgsBySystem.${system}; });

      # A stream is a single executable file (so `$(nix-build …) | docker load` and NixOS's
      # oci-containers `imageStream` work). `nix run` runs an app's `program`, but of anything
      # in `packages` only `<out>/bin/<mainProgram>`, and `nix flake check` (Nix >= 2.25) allows
      # only type, program and meta in an app and warns without meta.description. So each
      # example's stream is the app `apps.<system>.<image>` and the flat `<image>-stream`, and
      # `packages.<system>.<image>.stream` (what `nix run .#<image>.stream` falls back to, there
      # being no `stream` inside the app) is a package whose bin/ holds the stream.
      # The push executable is published the same way: `<image>-push` and `<image>.push`.
      description = name: "Write the ${name} image as a docker-archive to stdout (| docker load)";
      pushDescription = name: "Push the ${name} image to a registry (DEST… or its own name:tag); prints the manifest digest";
      streamApp = name: image: { type = "app"; program = "${image.stream}"; meta.description = description name; };
      pushApp = name: image: { type = "app"; program = "${image.push}"; meta.description = pushDescription name; };
      appsOf = images: builtins.listToAttrs (builtins.concatMap
        (name: let app = streamApp name images.${name}; in [
          { inherit name; value = app; }
          { name = "${name}-stream"; value = app; }
          { name = "${name}-push"; value = pushApp name images.${name}; }
        ])
        (builtins.attrNames images));
      binPackage = pkgs: program: target: text:
        let inherit (pkgs.buildPackages or pkgs) bash coreutils; in
        derivation {
          name = program;
          system = pkgs.stdenv.buildPlatform.system;
          builder = "${bash}/bin/bash";
          args = [ "-ec" "${coreutils}/bin/mkdir -p $out/bin; ${coreutils}/bin/ln -s ${target} $out/bin/${program}" ];
        } // { meta = { mainProgram = program; description = text; }; };
      streamPackage = pkgs: name: image: binPackage pkgs "stream-${name}" image.stream (description name);
      pushPackage = pkgs: name: image: binPackage pkgs "push-${name}" image.push (pushDescription name);
    in
    {
      # The overlay: replaces dockerTools' builders (an existing flake switches by adding this
      # one overlay, no call-site changes) and adds `pkgs.nix-strata`, the builder package
      # carrying every function for side-by-side use (pkgs.nix-strata.buildLayeredImage).
      # pullImage is deliberately NOT replaced: its archives differ from skopeo's, so every
      # pinned sha256 would break; pkgs.nix-strata.pullImage is there to opt in (and re-pin).
      # fakeNss is replaced at both of nixpkgs' names (pkgs.fakeNss, pkgs.dockerTools.fakeNss):
      # one fakeNss, with nixpkgs' arguments and text, as real files (nix/fake-nss.nix).
      overlays.default = final: prev:
        let
          # The builder runs where the image is built: from buildPackages under cross-compilation.
          builder = (final.buildPackages or final).callPackage ./nix/package.nix { };
          functions = import ./nix { pkgs = final; nix-strata = builder; };
        in
        {
          nix-strata = builder // functions;
          inherit (functions) fakeNss;
          dockerTools = (prev.dockerTools or { }) // {
            inherit (functions)
              streamLayeredImage buildLayeredImage buildLayeredImageWithNixDb
              buildImage buildImageWithNixDb exportImage shadowSetup fakeNss
              # nixpkgs' mergeImages would mix up this project's `layer-<position>` members.
              mergeImages streamNixShellImage buildNixShellImage;
          };
        };

      # The functions for each system: streamLayeredImage, buildLayeredImage,
      # buildLayeredImageWithNixDb, buildImage, buildImageWithNixDb, exportImage, pullImage,
      # shadowSetup, fakeNss, mergeImages, streamNixShellImage, buildNixShellImage, buildImageIndex, buildLayer, and the
      # helpers binSh, usrBinEnv, caCertificates.
      lib = forEachSystem (system: import ./nix { pkgs = nixpkgs.legacyPackages.${system}; });

      packages = forEachSystem (system:
        let pkgs = pkgsBySystem.${system}; in
        mapAttrs (name: image: image // { stream = streamPackage pkgs name image; push = pushPackage pkgs name image; }) examplesBySystem.${system} // {
          nix-strata = pkgs.nix-strata;
          default = pkgs.nix-strata;
        });

      apps = forEachSystem (system: appsOf examplesBySystem.${system});

      checks = forEachSystem (system:
        let
          pkgs = pkgsBySystem.${system};
          # The overlay really replaced dockerTools' function: only ours has conf.spec.
          viaOverlay = pkgs.dockerTools.streamLayeredImage { name = "overlay-check"; contents = [ pkgs.hello ]; };
        in
        examplesBySystem.${system} // {
          nix-strata = pkgs.nix-strata;
          overlay = assert viaOverlay.conf.spec.version == 1; viaOverlay;
          # One fakeNss: both of nixpkgs' names are ours (the stand-in has a nixpkgs-like one of its own).
          overlay-fake-nss =
            assert pkgs.fakeNss.drvPath == pkgs.nix-strata.fakeNss.drvPath;
            assert pkgs.dockerTools.fakeNss.drvPath == pkgs.nix-strata.fakeNss.drvPath;
            pkgs.dockerTools.fakeNss.override { extraPasswdLines = [ "check:x:1000:1000::/:/bin/sh" ]; };
          # buildImage comes through the overlay too (the offline stand-in's dockerTools has only fakeNss).
          overlay-build-image = pkgs.dockerTools.buildImage {
            name = "overlay-build-image-check";
            copyToRoot = [ pkgs.hello ];
            config.Cmd = [ "/bin/hello" ];
          };
        });
    };
}
