# buildImage: nixpkgs' single-layer dockerTools.buildImage without a VM (api.md §6.3).
#
# Two derivations:
#   docker-layer-<baseName>            the new layer (`layer.tar` + `checksum`), bash + nix-strata:
#     - no runAsRoot: copyToRoot COPIED into an empty root (rsync -a semantics), the Nix
#       database if asked, extraCommands as the build user, every entry owned by uid:gid;
#     - runAsRoot: inside ONE fakeroot session the base image is flattened
#       (`nix-strata export`) and unpacked, its inodes pinned (`build-image pin`: none can be
#       reused under a stale fakeroot record), snapshotted, copyToRoot copied over it, runAsRoot
#       run as root in a proot chroot of that tree (/dev, /proc, /sys and the store bound in),
#       extraCommands run, and only what changed since the snapshot is archived, deletions
#       as `.wh.<name>` whiteouts, fakeroot's records checked against the real tree
#       (src/build-image/).
#   docker-image-<baseName>.tar.gz     `nix-strata build-image archive`: the base's layers, then
#     the new layer followed by the store paths it references that the base lacks; Env is
#     base ++ child (duplicates kept); base diff_ids recomputed; the default tag is the hash
#     part of THIS derivation's output path (known at evaluation, and what the builder reads
#     from its own $out, so the passthru imageTag and the tag inside the image agree).
# `pkgs` is the build platform's package set (default.nix passes buildPackages).
{ pkgs, nix-strata, system, goArch, lowerAscii, makeOverridable, distribution }:
let
  inherit (builtins) baseNameOf concatStringsSep filter isList map storeDir stringLength substring;
  check = import ./validate.nix;
  writeText = import ./write-text.nix { inherit (pkgs) bash coreutils; inherit system; };

  optional = p: if p == null then [ ] else [ p ];
  binPath = packages: concatStringsSep ":" (map (p: "${p}/bin") packages);

  # Never part of the layer: the store, which the fake chroot binds over the tree's own (the
  # base's copy is large and cannot change). proot's binds of /dev, /proc and /sys leave nothing
  # in the real tree, so what the image itself has there is kept (it was silently dropped).
  excludes = "--exclude ${substring 1 (-1) storeDir}";

  buildImage = makeOverridable (
  { # Repository of the image reference (lower-cased); text after the last `/` names the outputs.
    name
    # Tag; null means the hash part of the archive's own output path.
  , tag ? null
    # Base image: any docker-archive (gzip'd or not), e.g. a buildLayeredImage or pullImage result.
  , fromImage ? null
    # Accepted for compatibility: nixpkgs only uses them for the legacy per-layer `parent`
    # field; the base's first manifest entry is always the one used (as in nixpkgs).
  , fromImageName ? null
  , fromImageTag ? null
    # Directories whose contents are copied into the layer root (a single path is one element).
  , copyToRoot ? null
    # Deprecated alias of copyToRoot (as in nixpkgs, with a warning).
  , contents ? null
    # Follow symlinks to directories already in the root instead of replacing them (rsync -K).
  , keepContentsDirlinks ? false
    # The image configuration's `config`; `Env` is appended to the base's.
  , config ? null
  , architecture ? goArch
    # `variant` of the image configuration (e.g. "v8" for arm64), or null; an extension.
  , variant ? null
    # Written as given (RFC 3339), or "now".
  , created ? "1970-01-01T00:00:01Z"
    # Bash run in the layer root as the build user (after runAsRoot).
  , extraCommands ? ""
    # Bash run as root with the image's filesystem as `/` (no VM: fakeroot + proot).
  , runAsRoot ? null
    # Owner of the layer's entries when there is no runAsRoot.
  , uid ? 0
  , gid ? 0
    # "gz" (.tar.gz), "zstd" (.tar.zst) or "none" (.tar).
  , compressor ? "gz"
    # Register the closure of copyToRoot in a Nix database inside the image.
  , includeNixDB ? false
  , meta ? { }
    # Extension: OCI manifest annotations of `oci` and `push` (not config Labels).
  , annotations ? { }
    # Sizes of nixpkgs' build VM. Accepted and ignored: no VM is used.
  , diskSize ? 1024
  , buildVMMemorySize ? 512
  }@args:
  let
    imageName = lowerAscii name;
    # The longest store path name made from baseName: the archive's .drv file.
    baseName = baseNameOf (check.name (b: "docker-image-${b}${extension}.drv") name imageName);
    rootContents =
      if contents != null && copyToRoot != null then throw "in docker image ${name}: You can not specify both contents and copyToRoot."
      else if contents != null then
        builtins.trace "warning: in docker image ${name}: The contents parameter is deprecated. Change to copyToRoot if the contents are designed to be copied to the root filesystem, such as when you use `buildEnv` or similar between contents and your packages. Use copyToRoot = buildEnv { ... }; or similar if you intend to add packages to /bin." contents
      else copyToRoot;
    # Interpolation (not toString) copies a path literal such as ./root into the store, where a
    # sandboxed build can read it.
    contentsList = if rootContents == null then [ ] else map (check.contents name) (if isList rootContents then rootContents else [ rootContents ]);
    extension = check.extension name compressor;
    withNixDb = check.bool "includeNixDB" name includeNixDB;

    nixDb = if withNixDb then pkgs.closureInfo { rootPaths = contentsList; } else null;
    # Run inside the tree being built (cwd), before extraCommands (nixpkgs prepends it to them).
    nixDbCommands = if !withNixDb then "" else import ./nix-db-commands.nix;

    # The runAsRoot script, run by its own interpreter inside the chroot (the store is bound in).
    runAsRootScript = writeText {
      name = "run-as-root.sh";
      executable = true;
      text = ''
        #!${pkgs.bash}/bin/bash
        set -e
        export PATH=${pkgs.coreutils}/bin:/bin:/usr/bin:/sbin:/usr/sbin
        ${check.commands "runAsRoot" name runAsRoot}
      '';
    };

    tools = [ nix-strata pkgs.coreutils pkgs.findutils pkgs.bash ]
      ++ optional (pkgs.gnused or null) ++ optional (pkgs.gnugrep or null) ++ optional (pkgs.gnutar or null)
      ++ optional (pkgs.gzip or null)
      ++ (if runAsRoot != null then [ pkgs.fakeroot pkgs.proot pkgs.gnutar ] else [ ])
      ++ (if withNixDb then [ pkgs.nix pkgs.sqlite ] else [ ]);

    # Inside the fakeroot session (runAsRoot only), so unpacking, runAsRoot and the archiver
    # all see the same faked owners.
    fakeRootScript = ''
      ${import ./source-attrs.nix}
      root="$NIX_BUILD_TOP/rootfs"
      mkdir "$root"
      if [[ -n "$fromImage" ]]; then
        echo "Unpacking base image..." >&2
        nix-strata export "$fromImage" --output "$NIX_BUILD_TOP/base.tar" --quiet
        tar -C "$root" -xpf "$NIX_BUILD_TOP/base.tar" --numeric-owner --same-owner
        rm "$NIX_BUILD_TOP/base.tar"
      fi
      # Keep every inode of the tree allocated until the layer is written, so no file made
      # later inherits the fakeroot record of one deleted unseen (by a static program). The
      # pinning moves ctimes: it comes before the snapshot.
      coproc pinner { nix-strata build-image pin --root "$root" --links "$NIX_BUILD_TOP/pins" ${excludes}; }
      pinnerPid=$pinner_PID
      read -r pinned <&"''${pinner[0]}" || { wait "$pinnerPid" || true; exit 1; }
      nix-strata build-image snapshot --root "$root" --out "$NIX_BUILD_TOP/before" ${excludes}
      if ((''${#contents[@]})); then
        echo "Adding contents..." >&2
        nix-strata build-image copy-to-root --into "$root" ''${keepContentsDirlinks:+--keep-dirlinks} "''${contents[@]}"
      fi
      echo "Running runAsRoot..." >&2
      # No `proot -0`: it would make a static program's chown "succeed" unrecorded (lost). As
      # a build user such a chown fails, and we say why (fakeroot sees dynamic programs only).
      proot -r "$root" -b /dev -b /proc -b /sys -b ${storeDir} -w / "$runAsRootScript" || {
        status=$?
        if ((realUid != 0)); then
          echo "runAsRoot failed (exit $status) as build user uid $realUid, not root; if a chown, chgrp or mknod failed: statically linked programs (e.g. busybox) cannot do those there, as fakeroot cannot see them, so use dynamically linked ones (e.g. coreutils') or build as root" >&2
        fi
        exit "$status"
      }
      (cd "$root"; ${nixDbCommands}
       eval "$extraCommands")
      echo "Packing layer..." >&2
      realOwners=()
      if ((realUid == 0)); then realOwners=(--real-owners); fi
      nix-strata build-image layer --root "$root" --out "''${outputs[out]}" --before "$NIX_BUILD_TOP/before" "''${realOwners[@]}" ${excludes}
      eval "exec ''${pinner[1]}>&-"
      wait "$pinnerPid"
    '';

    layer = derivation {
      name = "docker-layer-${baseName}";
      inherit system nixDb fakeRootScript;
      extraCommands = check.commands "extraCommands" name extraCommands;
      contents = contentsList;
      keepContentsDirlinks = check.bool "keepContentsDirlinks" name keepContentsDirlinks;
      fromImage = if fromImage == null then "" else "${check.fromImage name fromImage}";
      runAsRootScript = if runAsRoot == null then "" else "${runAsRootScript}";
      uid = toString (check.id "uid" name uid);
      gid = toString (check.id "gid" name gid);
      builder = "${pkgs.bash}/bin/bash";
      __structuredAttrs = true;
      PATH = binPath tools;
      args = [
        "-e"
        "-c"
        (''
          set -o pipefail
          ${import ./source-attrs.nix}
          export PATH SOURCE_DATE_EPOCH=315532800
          out=''${outputs[out]}
        '' + (if runAsRoot == null then ''
          layer="$NIX_BUILD_TOP/layer"
          mkdir "$layer"
          if ((''${#contents[@]})); then
            echo "Adding contents..." >&2
            nix-strata build-image copy-to-root --into "$layer" ''${keepContentsDirlinks:+--keep-dirlinks} "''${contents[@]}"
          fi
          chmod ug+w "$layer"
          (cd "$layer"; ${nixDbCommands}
           eval "$extraCommands")
          echo "Packing layer..." >&2
          nix-strata build-image layer --root "$layer" --out "$out" --uid "$uid" --gid "$gid"
        '' else ''
          # As root, files static programs make or chown really are as they look (-u: unknown
          # files keep their real owner); as a build user unknown files must read as root's.
          export realUid=$EUID
          unknownIsReal=()
          if ((realUid == 0)); then unknownIsReal=(-u); fi
          fakeroot "''${unknownIsReal[@]}" -- bash -e -o pipefail -c "$fakeRootScript"
        ''))
      ];
    };

    archive = derivation {
      name = "docker-image-${baseName}${extension}";
      inherit system;
      builder = "${nix-strata}/bin/nix-strata";
      args = [ "build-image" "archive" ];
      __structuredAttrs = true;
      # The contract's build-image spec (docs/contract.md); the builder refuses another version.
      spec = {
        version = 1;
        inherit imageName compressor storeDir;
        architecture = check.string "architecture" name architecture;
        config = check.config name config;
        tag = check.tag name tag;
        created = check.date "created" name created;
        fromImage = if fromImage == null then null else "${check.fromImage name fromImage}";
        layer = "${layer}";
      } // (if check.variant name variant == null then { } else { inherit variant; });
      # The store paths the layer references are added to it (nixpkgs: writeClosure [ layer ]).
      exportReferencesGraph.closure = [ layer ];
      # Compressors for the archive, decompressors for the base.
      PATH = binPath ([ pkgs.pigz pkgs.zstd ] ++ optional (pkgs.xz or null) ++ optional (pkgs.bzip2 or null));
    };

    imageTag =
      if tag != null then tag
      else substring (stringLength storeDir + 1) 32 (builtins.unsafeDiscardStringContext archive.outPath);
    sbom = (import ./sbom.nix { inherit pkgs nix-strata system; }).ofBuildImage { inherit baseName imageTag layer; inherit (archive.spec) imageName created fromImage; };
  in
  archive // {
    inherit imageName imageTag meta layer;
    # What buildImageIndex checks at evaluation (os is always linux).
    platform = { os = "linux"; architecture = archive.spec.architecture; variant = check.variant name variant; };
    buildArgs = args;
    inherit sbom;
  } // distribution { inherit baseName compressor sbom; source = [ "--image" "${archive}" ]; annotations = check.annotations name annotations; }
);
in
{
  inherit buildImage;
  # buildImage with a Nix database of the closure of copyToRoot in the image.
  buildImageWithNixDb = args: buildImage (args // { includeNixDB = true; });
}
