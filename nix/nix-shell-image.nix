# streamNixShellImage / buildNixShellImage: an image whose shell is set up like `nix-shell` on
# `drv` (nixpkgs' doc/build-helpers/images/dockertools.section.md), made with this project's
# streamLayeredImage / buildLayeredImage:
#   - Env: SSL_CERT_FILE and NIX_SSL_CERT_FILE (cacert's bundle), PATH (the shell's directory
#     and `buildDerivation`), HOME, NIX_STORE, NIX_BUILD_CORES=1, then every attribute of the
#     derivation as Nix passes it to a builder (lists joined by spaces, true "1", false/null
#     "", passAsFile ones as `<name>Path` files; `args` left out) and each output's path,
#     then NIX_BUILD_TOP, TMPDIR, TEMPDIR, TMP, TEMP and PWD = /build and TERM=xterm-256color;
#   - Cmd: `shell --rcfile RC` (interactive), or `shell RC` with `run`; RC sources
#     $stdenv/setup when there is one, runs the shellHook, sets nix-shell's prompt, then runs
#     `command` or `run` and exits when given;
#   - User uid:gid, a `nixbld` user (fakeNss) with homeDirectory, who owns /nix, /etc/nix and
#     /build (WorkingDir), so `buildDerivation` can build into /nix/store;
#   - contents: binSh, usrBinEnv and that fakeNss.
# Like nixpkgs': derivations with __structuredAttrs are refused, as are command and run
# together. A package set without cacert (a stand-in) gets no SSL_CERT_FILE/NIX_SSL_CERT_FILE.
# `pkgs` is the host platform's set (the shell and builder script run in the image).
{ pkgs, streamLayeredImage, buildLayeredImage, makeOverridable, fakeNss, binSh, usrBinEnv, writeText }:
let
  inherit (builtins) attrNames concatStringsSep elem filter listToAttrs map replaceStrings storeDir toString typeOf;

  escapeShellArg = s: "'${replaceStrings [ "'" ] [ "'\\''" ] s}'";
  # How Nix turns a derivation attribute into an environment variable, keeping path
  # literals' store copies (nixpkgs' devShellTools.valueToString).
  valueToString = v:
    if typeOf v == "path" then "${v}"
    else if typeOf v == "list" then toString (map valueToString v)
    else toString v;

  cacert = pkgs.cacert or null;
  defaultShell = "${pkgs.bashInteractive or pkgs.bash}/bin/bash";
  # https://github.com/NixOS/nix/blob/2.8.0/src/libstore/globals.hh#L464-L465
  sandboxBuildDir = "/build";

  layeredArgs =
    { drv
    , name ? drv.name + "-env"
    , tag ? null
    , uid ? 1000
    , gid ? 1000
    , homeDirectory ? "/build"
    , shell ? defaultShell
    , command ? null
    , run ? null
    }:
    let
      fail = message: throw "streamNixShellImage: ${message}";
      drvAttrs = drv.drvAttrs or (fail "drv must be a derivation, got a ${typeOf drv}");
      ids = { uid = toString uid; gid = toString gid; };

      # `buildDerivation`: runs the derivation's builder with its arguments.
      builder = writeText {
        name = "buildDerivation";
        executable = true;
        text = ''
          #!${pkgs.bash}/bin/bash
          exec ${escapeShellArg (valueToString drvAttrs.builder)} ${concatStringsSep " " (map (a: escapeShellArg (valueToString a)) (drvAttrs.args or [ ]))}
        '';
      };
      builderBin = derivation {
        name = "build-derivation";
        system = pkgs.stdenv.buildPlatform.system;
        builder = "${(pkgs.buildPackages or pkgs).bash}/bin/bash";
        args = [ "-ec" "${(pkgs.buildPackages or pkgs).coreutils}/bin/mkdir -p $out/bin; ${(pkgs.buildPackages or pkgs).coreutils}/bin/ln -s ${builder} $out/bin/buildDerivation" ];
        preferLocalBuild = true;
      };
      staticPath = "${dirOf shell}:${builderBin}/bin";

      # https://github.com/NixOS/nix/blob/2.8.0/src/nix-build/nix-build.cc#L493-L526
      rcfile = writeText {
        name = "nix-shell-rc";
        text = ''
          unset PATH
          dontAddDisableDepTrack=1
          [ -e $stdenv/setup ] && source $stdenv/setup
          PATH=${staticPath}:"$PATH"
          SHELL=${escapeShellArg shell}
          BASH=${escapeShellArg shell}
          set +e
          [ -n "$PS1" -a -z "$NIX_SHELL_PRESERVE_PROMPT" ] && PS1='\n\[\033[1;32m\][nix-shell:\w]\$\[\033[0m\] '
          if [ "$(type -t runHook)" = function ]; then
            runHook shellHook
          fi
          unset NIX_ENFORCE_PURITY
          shopt -u nullglob
          shopt -s execfail
        '' + (if command == null && run == null then "" else ''
          ${if command == null then "" else command}
          ${if run == null then "" else run}
          exit
        '');
      };

      passAsFile = drvAttrs.passAsFile or [ ];
      inputEnv = listToAttrs (map
        (attr:
          let value = valueToString drvAttrs.${attr}; in
          if elem attr passAsFile
          then { name = "${attr}Path"; value = "${writeText { name = "pass-as-text-${attr}"; text = value; }}"; }
          else { name = attr; inherit value; })
        (filter (attr: attr != "args") (attrNames drvAttrs)));
      # Each output's path, without its context: the outputs are what buildDerivation makes.
      outputEnv = listToAttrs (map
        (output: { name = output; value = builtins.unsafeDiscardStringContext drv.${output}.outPath; })
        (drv.outputs or [ "out" ]));

      envVars =
        (if cacert == null then { } else {
          SSL_CERT_FILE = "${cacert}/etc/ssl/certs/ca-bundle.crt";
          NIX_SSL_CERT_FILE = "${cacert}/etc/ssl/certs/ca-bundle.crt";
        }) // {
          PATH = staticPath;
          HOME = homeDirectory;
          NIX_STORE = storeDir;
          NIX_BUILD_CORES = "1";
        } // inputEnv // outputEnv // {
          NIX_BUILD_TOP = sandboxBuildDir;
          TMPDIR = sandboxBuildDir;
          TEMPDIR = sandboxBuildDir;
          TMP = sandboxBuildDir;
          TEMP = sandboxBuildDir;
          PWD = sandboxBuildDir;
          TERM = "xterm-256color";
        };
    in
    if drvAttrs.__structuredAttrs or false then fail "Does not work with the derivation ${drv.name} because it uses __structuredAttrs"
    else if command != null && run != null then fail "Can't specify both command and run"
    else {
      inherit name tag;
      contents = [
        binSh
        usrBinEnv
        (fakeNss.override {
          # The build user's home is homeDirectory (nixpkgs' choice over Nix's /build, NixOS/nix#6379).
          extraPasswdLines = [ "nixbld:x:${ids.uid}:${ids.gid}:Build user:${homeDirectory}:/noshell" ];
          extraGroupLines = [ "nixbld:!:${ids.gid}:" ];
        })
      ];
      # A single-user Nix store the user owns (to build the derivation, or use Nix inside), and
      # the build directory.
      fakeRootCommands = ''
        mkdir -p ./nix/{store,var/nix} ./etc/nix
        chown -R ${ids.uid}:${ids.gid} ./nix ./etc/nix
        mkdir -p .${sandboxBuildDir}
        chown -R ${ids.uid}:${ids.gid} .${sandboxBuildDir}
      '';
      config = {
        User = "${ids.uid}:${ids.gid}";
        # https://github.com/NixOS/nix/blob/2.8.0/src/nix-build/nix-build.cc#L534-L536
        Cmd = if run == null then [ shell "--rcfile" rcfile ] else [ shell rcfile ];
        WorkingDir = sandboxBuildDir;
        Env = map (n: "${n}=${envVars.${n}}") (attrNames envVars);
      };
    };
in
{
  # The stream program of the nix-shell image (a streamLayeredImage result).
  streamNixShellImage = makeOverridable (args: streamLayeredImage (layeredArgs args))
    // { __functionArgs = builtins.functionArgs layeredArgs; };
  # The same image as an archive; `compressor` as buildLayeredImage's.
  buildNixShellImage = makeOverridable ({ compressor ? "gz", ... }@args:
    buildLayeredImage (layeredArgs (removeAttrs args [ "compressor" ]) // { inherit compressor; }))
    // { __functionArgs = builtins.functionArgs layeredArgs // { compressor = true; }; };
}
