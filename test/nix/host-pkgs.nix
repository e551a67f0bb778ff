# A stand-in for the few nixpkgs attributes nix/ uses, wired to this machine's programs
# (Debian packages installed by scripts/setup-host.sh). Needs `sandbox = false`: the
# derivations below read /usr/bin and /bin at build time. Nothing here is evaluated from host
# paths, so it also works under pure (flake) evaluation.
#
# Ownership note: builds run as root on this machine (single-user Nix), so `fakeroot` is
# wrapped with `-u` (unknown files keep their real owner): files made by extraCommands are
# really root's, and a chown by a static program the fakeroot library cannot preload into
# (the busybox coreutils inside the fake chroot) is real too, so both views agree.
{ system }:
let
  inherit (builtins) concatStringsSep derivation;

  # A derivation built by the host's /bin/sh with the host's tools on PATH.
  hostBuild = name: script: derivation {
    inherit name system;
    builder = "/bin/sh";
    args = [ "-ec" script ];
    PATH = "/usr/bin:/bin";
  };

  # Fails the build with a pointer to the set-up script when a host program is missing.
  requireHost = file: ''
    test -e ${file} || { echo "host file ${file} is missing; run scripts/setup-host.sh" >&2; exit 1; }
  '';

  # A package whose bin/ links to host programs (dynamically linked, usable outside a chroot).
  linkHost = name: programs: hostBuild name ''
    mkdir -p "$out/bin"
    for p in ${concatStringsSep " " programs}; do
      ${requireHost "/usr/bin/$p"}
      ln -s "/usr/bin/$p" "$out/bin/$p"
    done
  '';

  # bash as a store copy of Debian's statically linked bash, so it also runs inside the fake
  # chroot of enableFakechroot, where only the store is visible.
  bash = hostBuild "bash-static" ''
    ${requireHost "/bin/bash-static"}
    mkdir -p "$out/bin"
    cp /bin/bash-static "$out/bin/bash"
    ln -s bash "$out/bin/sh"
  '';

  # Debian's static busybox (package busybox-static) copied into the store, with one relative symlink per applet.
  busybox = hostBuild "busybox" ''
    ${requireHost "/bin/busybox"}
    mkdir -p "$out/bin"
    cp /bin/busybox "$out/bin/busybox"
    for applet in $(/bin/busybox --list); do
      [ "$applet" = busybox ] || ln -s busybox "$out/bin/$applet"
    done
  '';

  # "coreutils" from busybox: static, so the same tools work inside the fake chroot.
  coreutilsNames = [
    "basename" "cat" "chgrp" "chmod" "chown" "cp" "cut" "date" "dd" "dirname" "du" "echo" "env"
    "expr" "false" "head" "id" "install" "ln" "ls" "mkdir" "mknod" "mktemp" "mv" "nproc"
    "printf" "pwd" "readlink" "realpath" "rm" "rmdir" "seq" "sha256sum" "sleep" "sort" "stat"
    "sync" "tail" "tee" "test" "touch" "tr" "true" "uname" "uniq" "wc" "whoami" "yes"
  ];
  coreutils = hostBuild "coreutils-busybox" ''
    mkdir -p "$out/bin"
    for name in ${concatStringsSep " " coreutilsNames}; do
      ln -s ${busybox}/bin/busybox "$out/bin/$name"
    done
  '';

  # fakeroot from Debian: its script needs getopt and friends from /usr/bin; see the note above.
  fakeroot = hostBuild "fakeroot" ''
    ${requireHost "/usr/bin/fakeroot"}
    mkdir -p "$out/bin"
    printf '%s\n' '#!${bash}/bin/bash' 'PATH=$PATH:/usr/bin exec /usr/bin/fakeroot -u "$@"' > "$out/bin/fakeroot"
    chmod 0555 "$out/bin/fakeroot"
  '';

  jq = linkHost "jq" [ "jq" ];

  # nixpkgs' closureInfo: `registration` (for nix-store --load-db) and `store-paths` of the
  # closure of rootPaths, from the graph exported with __structuredAttrs.
  closureInfo = { rootPaths }: derivation {
    name = "closure-info";
    inherit system;
    builder = "${bash}/bin/bash";
    __structuredAttrs = true;
    exportReferencesGraph.closure = rootPaths;
    args = [
      "-e"
      "-c"
      ''
        ${import ../../nix/source-attrs.nix}
        out=''${outputs[out]}
        attrs=$NIX_BUILD_TOP/.attrs.json
        [[ -e "$attrs" ]] || attrs=$NIX_ATTRS_JSON_FILE
        ${coreutils}/bin/mkdir "$out"
        ${jq}/bin/jq -r '.closure | map(.path) | sort | .[]' "$attrs" > "$out/store-paths"
        ${jq}/bin/jq -r '.closure | sort_by(.path) | .[] | (.path, .narHash, (.narSize | tostring), "", (.references | length | tostring), .references[])' \
          "$attrs" > "$out/registration"
      ''
    ];
  };
in
{
  inherit system bash busybox coreutils fakeroot jq closureInfo hostBuild linkHost;
  stdenv = {
    buildPlatform = { inherit system; };
    hostPlatform = { inherit system; isDarwin = false; };
  };
  findutils = linkHost "findutils" [ "find" "xargs" ];
  gnused = linkHost "gnused" [ "sed" ];
  gnugrep = linkHost "gnugrep" [ "grep" ];
  gnutar = linkHost "gnutar" [ "tar" ];
  gzip = linkHost "gzip" [ "gzip" "gunzip" "zcat" ];
  pigz = linkHost "pigz" [ "pigz" "unpigz" ];
  zstd = linkHost "zstd" [ "zstd" ];
  xz = linkHost "xz" [ "xz" ];
  bzip2 = linkHost "bzip2" [ "bzip2" ];
  proot = linkHost "proot" [ "proot" ];
  nodejs = linkHost "nodejs" [ "node" ];
  nix = linkHost "nix" [ "nix" "nix-store" ];
  sqlite = linkHost "sqlite" [ "sqlite3" ];
}
