# The customisation layer (api.md §5.3): the only derivation that runs shell. It joins
# `contents` at the layer root (`nix-strata merge-contents`), optionally writes a Nix database,
# runs `extraCommands` as the build user, then, inside ONE fakeroot session, runs
# `fakeRootCommands` (optionally inside a proot fake chroot whose `/` is the layer) and archives
# the tree with `nix-strata tar-tree`, so ownership changed under fakeroot is what gets recorded.
# Output: a directory with `layer.tar` and `checksum` (docs/contract.md).
#
# Fast paths, same bytes (format.md §5.2: owners are 0:0 unless fakeRootCommands chowned):
# without fakeRootCommands (and no fake chroot) there is no fakeroot session, `tar-tree
# --owner 0:0` records what the session would have reported; with no commands at all and no
# Nix database there is no derivation here at all: the conf derivation merges and archives
# `contents` itself, one Node process per incremental rebuild instead of two.
#
# Returns the layer derivation, or null when there is nothing to run (the conf derivation
# then builds the layer itself: `inConf` in default.nix).
# `pkgs` is the build platform's package set (default.nix passes buildPackages).
{ pkgs, nix-strata, system }:
{ baseName
, contents            # list of store paths / path literals (already a list)
, extraCommands
, fakeRootCommands
, enableFakechroot
, includeNixDB
}:
let
  inherit (builtins) concatStringsSep filter map match storeDir;

  # Only blanks: running it would do nothing.
  isBlank = commands: match "[[:space:]]*" commands != null;
  needsFakeroot = enableFakechroot || !isBlank fakeRootCommands;
  inConf = !needsFakeroot && isBlank extraCommands && !includeNixDB;

  # The "standard build environment" user commands can rely on; optional tools are used when
  # the package set has them (a small stand-in package set may not).
  tools = filter (p: p != null) ([
    nix-strata
    pkgs.coreutils
    pkgs.findutils
    pkgs.bash
    (pkgs.gnused or null)
    (pkgs.gnugrep or null)
    (pkgs.gnutar or null)
    (pkgs.gzip or null)
    pkgs.fakeroot
  ] ++ (if enableFakechroot then [ pkgs.proot ] else [ ])
    ++ (if includeNixDB then [ pkgs.nix pkgs.sqlite ] else [ ]));
  toolPath = concatStringsSep ":" (map (p: "${p}/bin") tools);

  # Registration data of the closure of `contents` (api.md §5.3 step 3).
  nixDb = if includeNixDB then pkgs.closureInfo { rootPaths = contents; } else null;

  # Runs inside the fakeroot session: user commands first, then the archiver, so both see the
  # same faked ownership. With the fake chroot, proot binds /dev, /proc, /sys and the store over
  # the layer (not the build directory: in the sandbox it is /build, which an image may have).
  # A mount point never reaches the archive (api.md §2.2): one proot leaves behind where the
  # layer had none is removed (an empty directory), and the layer's own entries stay.
  mountPoints = [ "/dev" "/proc" "/sys" storeDir ];
  fakeRootScript = ''
    ${import ./source-attrs.nix}
    ${if enableFakechroot then ''
      absent=()
      for point in ${concatStringsSep " " mountPoints}; do
        [[ -e "$layerRoot$point" || -L "$layerRoot$point" ]] || absent+=("$layerRoot$point")
      done
      proot -r "$layerRoot" ${concatStringsSep " " (map (p: "-b ${p}") mountPoints)} \
        -w / ${pkgs.bash}/bin/bash -e -c "$fakeRootCommands"
      for point in "''${absent[@]}"; do
        if [[ -d "$point" && ! -L "$point" ]]; then rmdir "$point"; fi
      done
    '' else ''
      (cd "$layerRoot"; eval "$fakeRootCommands")
    ''}
    nix-strata tar-tree --root "$layerRoot" --out "''${outputs[out]}" ''${realOwners:+--real-owners}
  '';
in
if inConf then null else derivation {
  name = "${baseName}-customisation-layer";
  inherit system contents extraCommands fakeRootCommands fakeRootScript nixDb;
  builder = "${pkgs.bash}/bin/bash";
  __structuredAttrs = true;
  # Built where the image is built: a remote builder would not make it faster, and deciding
  # that costs Nix a build-hook process (~20 ms of every rebuild).
  preferLocalBuild = true;
  PATH = toolPath;
  args = [
    "-e"
    "-c"
    (''
      set -o pipefail
      ${import ./source-attrs.nix}
      export PATH SOURCE_DATE_EPOCH=315532800
      out=''${outputs[out]}
      export layerRoot="$NIX_BUILD_TOP/layer"
      mkdir "$layerRoot" "$out"
      if ((''${#contents[@]})); then nix-strata merge-contents --into "$layerRoot" "''${contents[@]}"; fi
      ${if includeNixDB then ''
        (cd "$layerRoot"; ${import ./nix-db-commands.nix})
      '' else ""}
      (cd "$layerRoot"; eval "$extraCommands")
    '' + (if needsFakeroot then ''
      # As root, what a static program makes or chowns (unseen by fakeroot) really is as it
      # looks, so unknown files keep their real owner (-u); as a build user they read as root's.
      unknownIsReal=()
      if ((EUID == 0)); then unknownIsReal=(-u); export realOwners=1; fi
      fakeroot "''${unknownIsReal[@]}" -- bash -e -o pipefail -c "$fakeRootScript"
    '' else ''
      nix-strata tar-tree --owner 0:0 --root "$layerRoot" --out "$out"
    ''))
  ];
}
