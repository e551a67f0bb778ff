# nix-strata's Nix API: drop-in replacements for nixpkgs' dockerTools.streamLayeredImage,
# buildLayeredImage and buildLayeredImageWithNixDb, plus fakeNss (../../shared/spec/api.md).
#
# This file is the ONLY place argument defaults live; the builder never invents a value.
# Nix gathers inputs into derivations, each one builder call (docs/contract.md). Commonly
# (no extraCommands, fakeRootCommands, fake chroot or Nix database) an image is:
#   <baseName>-customisation-layer  `nix-strata conf`, reading `spec` + the closure graph;
#                                   outputs `out` (the customisation layer), `conf` and
#                                   `plan` (the store layers' sizes and walks, from lstat)
#   stream-<baseName>               an executable: `nix-strata stream --conf <conf> "$@"`
# With commands to run, the layer is built first by customisation.nix (the only shell), under
# the same name, and the conf is `<baseName>-conf.json` (outputs `out` and `plan`) after it.
# buildLayeredImage adds `<baseName>.tar.gz|.tar.zst|.tar` (`nix-strata stream --output`).
#
# Only `builtins` is used (no nixpkgs lib), so a tiny stand-in package set works
# (test/nix/host.nix). What `pkgs` must provide: stdenv.{build,host}Platform, bash,
# coreutils, findutils, fakeroot, proot, pigz, zstd; for includeNixDB also nix, sqlite and
# closureInfo; for the default builder also what nix/package.nix needs.
#
# Cross builds: every derivation's `system` is the build platform, so its builder and the tools
# it runs (nix-strata itself included) come from `pkgs.buildPackages`, as in nixpkgs'
# dockerTools (a package set without one, like the stand-ins, is its own); the modules below get
# that set as their `pkgs`. What goes into an image (shadowSetup's paths) and `architecture`
# follow the host platform.
{ pkgs
, nix-strata ? (pkgs.buildPackages or pkgs).callPackage ./package.nix { }
, ...
}:
let
  inherit (builtins) baseNameOf isList map removeAttrs storeDir stringLength substring;
  check = import ./validate.nix;
  buildPackages = pkgs.buildPackages or pkgs;

  system = pkgs.stdenv.buildPlatform.system;
  hostPlatform = pkgs.stdenv.hostPlatform;
  isDarwin = hostPlatform.isDarwin or (builtins.match ".*-darwin" hostPlatform.system != null);

  # Go's name for the host CPU (api.md §2.2 `architecture`).
  goArch =
    let
      cpu = builtins.head (builtins.match "([^-]*)-.*" hostPlatform.system);
      table = {
        x86_64 = "amd64"; aarch64 = "arm64"; i686 = "386"; i586 = "386"; i486 = "386"; i386 = "386";
        armv5tel = "arm"; armv6l = "arm"; armv7l = "arm"; armv7a = "arm";
        riscv64 = "riscv64"; powerpc64le = "ppc64le"; s390x = "s390x";
      };
    in
    hostPlatform.go.GOARCH or table.${cpu} or cpu;

  writeText = import ./write-text.nix { inherit (buildPackages) bash coreutils; inherit system; };
  customisationLayer = import ./customisation.nix { pkgs = buildPackages; inherit nix-strata system; };
  # Host platform: the links' targets go into images.
  helpers = import ./helpers.nix { inherit pkgs system; };
  # /etc/passwd and /etc/group with root and nobody, for images that need user names (text:
  # built with the build platform's tools).
  fakeNss = import ./fake-nss.nix { pkgs = buildPackages; inherit system; };
  sbomOf = import ./sbom.nix { pkgs = buildPackages; inherit nix-strata system; };
  distribution = import ./distribution.nix { pkgs = buildPackages; inherit nix-strata system writeText; };

  # nixpkgs' lib.makeOverridable: results get `.override` (nix/make-overridable.nix).
  makeOverridable = import ./make-overridable.nix;

  # Docker repositories are lower-case; only ASCII letters change (api.md §1 `imageName`).
  lowerAscii = s:
    let
      upper = [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ];
      lower = [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];
    in
    builtins.replaceStrings upper lower s;

  # A store path (or null) as a string with its context, for the builder.
  pathOrNull = p: if p == null then null else "${p}";

  # buildLayer: a reusable store layer for `layers` (nix/build-layer.nix).
  buildLayer = import ./build-layer.nix { pkgs = buildPackages; inherit nix-strata system; };

  # streamLayeredImage: every argument of api.md §2.1 with its default; the set is closed, so
  # an unknown argument fails with Nix's "called with unexpected argument '<name>'".
  streamLayeredImage = makeOverridable (
    { # Repository of the image reference; may carry a registry prefix. Lower-cased for Docker.
      name
      # Tag of the image reference; null means the hash part of the conf derivation's path.
    , tag ? null
      # Base image: a docker-archive (path or derivation), or null.
    , fromImage ? null
      # Directories joined at the image root (a single path is one element).
    , contents ? [ ]
      # The image configuration's `config` object, written verbatim (keys sorted).
    , config ? { }
      # `architecture` of the image configuration (Go names: amd64, arm64, ...).
    , architecture ? goArch
      # `variant` of the image configuration (the CPU variant, e.g. "v8" for arm64, "v7" for
      # arm), or null for none; an extension (api.md §2.1: not in nixpkgs' argument set).
    , variant ? null
      # Creation date of the configuration and history: RFC 3339, a date, or "now".
    , created ? "1970-01-01T00:00:01Z"
      # Modification time of every store-layer entry (same syntax as `created`).
    , mtime ? "1970-01-01T00:00:01Z"
      # Owner of every store-layer entry, /nix and /nix/store included.
    , uid ? 0
    , gid ? 0
    , uname ? "root"
    , gname ? "root"
      # Total layer budget, base and customisation layers included (ignored with a pipeline).
    , maxLayers ? 100
      # Bash run in the layer root as the build user.
    , extraCommands ? ""
      # Bash run under fakeroot after extraCommands; chown/chmod results are recorded.
    , fakeRootCommands ? ""
      # Run fakeRootCommands in a proot chroot whose `/` is the layer (not on Darwin).
    , enableFakechroot ? false
      # false: no store layers at all, only the customisation (and base) layers.
    , includeStorePaths ? true
      # Register the closure of `contents` in a Nix database inside the image.
    , includeNixDB ? false
      # Merged into the result's passthru (built-in keys win).
    , passthru ? { }
      # meta of the stream derivation.
    , meta ? { }
      # Explicit layering pipeline (layering.md §7): a list, or a path/derivation of its JSON.
    , layeringPipeline ? null
      # Print the layer table while building; never changes the image or its tag.
    , debug ? false
      # Extension: "popularity" (dockerTools' documented layout) or "auto" (size-based).
    , layeringStrategy ? "popularity"
      # Extension: OCI manifest annotations of `oci` and `push` (not config Labels; README).
    , annotations ? { }
      # Extension: buildLayer results, below the automatic store layers; their paths leave the closure.
    , layers ? [ ]
    }:
    let
      imageName = lowerAscii name;
      # Derivation names use the text after the last `/` (api.md §1, §4.4).
      # The longest store path name made from baseName: the conf output of the layer derivation,
      # or the separate layer derivation's .drv file.
      baseName = baseNameOf (check.name (b: if inConf then "${b}-customisation-layer-conf" else "${b}-customisation-layer.drv") name imageName);
      # Interpolation (not toString) copies a path literal such as ./dir into the store.
      contentsList = map (check.contents name) (if isList contents then contents else [ contents ]);

      baseJson = writeText {
        name = "${baseName}-base.json";
        text = builtins.toJSON ({ inherit architecture; config = check.config name config; os = "linux"; }
          // (if check.variant name variant == null then { } else { inherit variant; }));
      };

      # The layer derivation, or null: then the conf derivation builds the layer too.
      customisationLayerDrv = customisationLayer {
        inherit baseName;
        extraCommands = check.commands "extraCommands" name extraCommands;
        fakeRootCommands = check.commands "fakeRootCommands" name fakeRootCommands;
        contents = contentsList;
        enableFakechroot = check.fakechroot name isDarwin (check.bool "enableFakechroot" name enableFakechroot);
        includeNixDB = check.bool "includeNixDB" name includeNixDB;
      };
      inConf = customisationLayerDrv == null;
      withStorePaths = check.bool "includeStorePaths" name includeStorePaths;

      # Everything that depends on where the customisation layer is built. One derivation for
      # the common case (no commands): `out` is the customisation layer (named as nixpkgs names
      # it), `conf` the conf; otherwise the conf alone, after the separately built layer. `plan`
      # is the plan file the conf names (src/steps/layer-plans.ts). Nix
      # exports the closure of everything the layer may refer to.
      layerPlacement =
        if inConf then {
          # The conf derivation writes the layer to its own `out`.
          customisationLayer = builtins.placeholder "out";
          customisationContents = contentsList;
          confName = "${baseName}-customisation-layer";
          confOutputs = [ "out" "conf" "plan" ];
          layerClosure = [ baseJson ] ++ contentsList;
          confOf = drv: drv.conf;
        } else {
          customisationLayer = "${customisationLayerDrv}";
          customisationContents = null;
          confName = "${baseName}-conf.json";
          confOutputs = [ "out" "plan" ];
          layerClosure = [ baseJson customisationLayerDrv ];
          confOf = drv: drv;
        };

      # The contract's `spec` (docs/contract.md); `nix-strata conf` rejects unknown keys.
      spec = {
        version = 1;
        inherit imageName storeDir;
        architecture = check.string "architecture" name architecture;
        uname = check.string "uname" name uname;
        gname = check.string "gname" name gname;
        includeStorePaths = withStorePaths;
        tag = check.tag name tag;
        created = check.date "created" name created;
        mtime = check.date "mtime" name mtime;
        uid = check.id "uid" name uid;
        gid = check.id "gid" name gid;
        maxLayers = check.maxLayers name layeringPipeline maxLayers;
        layeringStrategy = check.layeringStrategy name layeringStrategy;
        layeringPipeline = let p = check.pipeline name layeringPipeline; in if p == null || isList p then p else "${p}";
        fromImage = pathOrNull (check.fromImage name fromImage);
        baseJson = "${baseJson}";
        inherit (layerPlacement) customisationLayer customisationContents;
        givenLayers = check.layers name layers;
      };

      confDerivation = derivation {
        name = layerPlacement.confName;
        outputs = layerPlacement.confOutputs;
        inherit system spec;
        builder = "${nix-strata}/bin/nix-strata";
        args = [ "conf" ];
        __structuredAttrs = true;
        # Local: it only plans (from the closure's metadata into `plan`, reading no store file), so a
        # remote builder would cost more than the work: the closure copied there, and a
        # build-hook process (~20 ms of every rebuild).
        preferLocalBuild = true;
        exportReferencesGraph.closure = if withStorePaths then layerPlacement.layerClosure else [ ];
      };
      conf = layerPlacement.confOf confDerivation;

      # The hash part of the conf's output path: known at evaluation time, and the value
      # `nix-strata conf` derives from its own output path, so it is the tag in the image.
      imageTag =
        if tag != null then check.tag name tag
        else substring (stringLength storeDir + 1) 32 (builtins.unsafeDiscardStringContext conf.outPath);

      # The stream program without the conf argument (api.md §4.1 `streamScript`).
      streamScript = writeText {
        name = "stream";
        executable = true;
        text = ''
          #!${buildPackages.bash}/bin/bash
          # Usage: stream CONF [-t NAME:TAG] [--output FILE] > image.tar
          conf=$1
          shift
          exec ${nix-strata}/bin/nix-strata stream --conf "$conf" "$@"
        '';
      };

      # With debug, a twin of the conf derivation prints the layer table while it builds. The
      # stream depends on it, the conf does not, so debug never changes imageTag (api.md §10
      # item 10: nixpkgs hashes the flag into the tag). Same attributes as the conf derivation
      # (spec, outputs, closure graph, preferLocalBuild), another name and `--debug`.
      layerTable = derivation (confDerivation.drvAttrs // {
        name = "${baseName}-layer-table";
        args = [ "conf" "--debug" ];
      });

      stream = writeText {
        name = "stream-${baseName}";
        executable = true;
        inputs = if check.bool "debug" name debug then [ layerTable ] else [ ];
        text = ''
          #!${buildPackages.bash}/bin/bash
          exec ${streamScript} ${conf} "$@"
        '';
      };
      # passthru.sbom, also stored in `oci` and attached by `push --sbom`.
      sbom = sbomOf.ofConf { inherit baseName conf; };
    in
    stream // { inherit imageName meta; } // passthru // {
      inherit imageTag conf streamScript;
      # What buildImageIndex checks at evaluation (os is always linux).
      platform = { os = "linux"; architecture = spec.architecture; variant = check.variant name variant; };
      inherit sbom;
      isExe = true;
    } // distribution { inherit baseName sbom; source = [ "--conf" "${conf}" ]; annotations = check.annotations name annotations; }
  );

  # buildLayeredImage: streamLayeredImage's arguments plus `compressor`; the archive is the
  # stream written by the builder inside a derivation (api.md §3, §4.2).
  buildLayeredImage = makeOverridable (
    { name
      # Compression of the whole archive: "gz" (.tar.gz), "zstd" (.tar.zst) or "none" (.tar).
    , compressor ? "gz"
      # meta of the archive derivation; the inner stream gets none.
    , meta ? { }
    , ...
    }@args:
    let
      stream = streamLayeredImage (removeAttrs args [ "compressor" "meta" ]);
      extension = check.extension name compressor;
      archive = derivation {
        name = "${baseNameOf name}${extension}";
        inherit system;
        builder = "${nix-strata}/bin/nix-strata";
        args = [ "stream" "--conf" "${stream.conf}" "--compressor" compressor "--output" (builtins.placeholder "out") ];
        # The builder runs these compressors; PATH is otherwise empty in a build.
        PATH = "${buildPackages.pigz}/bin:${buildPackages.zstd}/bin";
      };
    in
    archive // {
      inherit (stream) imageName imageTag sbom platform;
      inherit meta stream;
    } // distribution { baseName = baseNameOf name; source = [ "--conf" "${stream.conf}" ]; inherit compressor; inherit (stream) sbom; annotations = check.annotations name (args.annotations or { }); }
  );
in
{
  inherit streamLayeredImage buildLayeredImage buildLayer;

  # buildLayeredImage with a Nix database of the closure of `contents` in the image.
  buildLayeredImageWithNixDb = args: buildLayeredImage (args // { includeNixDB = true; });

  # /etc/passwd and /etc/group with root and nobody, for images that need user names.
  inherit fakeNss;

  # nixpkgs' buildImage(WithNixDb), exportImage, pullImage and shadowSetup, without a VM (nix/build-image.nix …).
  inherit (import ./build-image.nix { pkgs = buildPackages; inherit nix-strata system goArch lowerAscii makeOverridable distribution; }) buildImage buildImageWithNixDb;
  exportImage = import ./export-image.nix { pkgs = buildPackages; inherit nix-strata system; };
  pullImage = import ./pull-image.nix { pkgs = buildPackages; inherit nix-strata system goArch; };
  # Host platform: its paths go into the image.
  shadowSetup = import ./shadow-setup.nix { inherit pkgs; };

  # An OCI image index over images of different platforms (nix/image-index.nix).
  buildImageIndex = import ./image-index.nix { pkgs = buildPackages; inherit nix-strata system writeText lowerAscii; };

  # Several image archives as one `docker load` archive (nix/merge-images.nix).
  mergeImages = import ./merge-images.nix { pkgs = buildPackages; inherit nix-strata system; };

  # An image set up like `nix-shell` on a derivation (nix/nix-shell-image.nix).
  inherit (import ./nix-shell-image.nix {
    inherit pkgs streamLayeredImage buildLayeredImage makeOverridable writeText;
    inherit (helpers) binSh usrBinEnv;
    inherit fakeNss;
  }) streamNixShellImage buildNixShellImage;

  # dockerTools' environment helpers /bin/sh, /usr/bin/env and the CA bundle (nix/helpers.nix).
  inherit (helpers) binSh usrBinEnv caCertificates;
}
