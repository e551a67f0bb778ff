# A stand-in for the few nixpkgs attributes nix/ uses, wired to this machine's programs
# (Debian packages installed by scripts/setup-host.sh). The derivations below read /usr at
# build time and nothing else outside the store: with the sandbox on, nix.conf's
# `extra-sandbox-paths = /usr /lib=/usr/lib /lib64=/usr/lib64` shows them (never /bin: Nix makes
# its /bin/sh mount point in it, which on merged /usr truncates the host's dash). Nothing here
# is evaluated from host paths, so it also works under pure (flake) evaluation.
#
# Ownership note: `fakeroot` is Debian's, with its preload library copied into the store (as
# nixpkgs' is there), so dynamically linked store programs inside a fake chroot reach it. It
# takes no `-u`: nix/ passes `-u` itself when a build runs as root (see customisation.nix).
#
# hostBin and hostLib say where the host's programs and libraries are; test/e2e/store-only.test.ts
# moves them, so that a derivation of nix/ reaching into /usr itself fails to build.
{ system, hostBin ? "/usr/bin", hostLib ? "/usr/lib" }:
let
  inherit (builtins) concatStringsSep derivation;
  multiarch = { x86_64-linux = "x86_64-linux-gnu"; aarch64-linux = "aarch64-linux-gnu"; }.${system} or "unknown";

  # A derivation built by the host's sh with the host's tools on PATH (/usr/bin: the sandbox
  # has no /bin, and Debian's Nix 2.8 binds no /bin/sh).
  hostBuild = name: script: derivation {
    inherit name system;
    builder = "${hostBin}/sh";
    args = [ "-ec" script ];
    PATH = "${hostBin}";
  };

  # Fails the build with a pointer to the set-up script when a host program is missing.
  requireHost = file: ''
    test -e ${file} || { echo "host file ${file} is missing; run scripts/setup-host.sh" >&2; exit 1; }
  '';

  # A package whose bin/ links to host programs (dynamically linked, usable outside a chroot).
  linkHost = name: programs: hostBuild name ''
    mkdir -p "$out/bin"
    for p in ${concatStringsSep " " programs}; do
      ${requireHost "${hostBin}/$p"}
      ln -s "${hostBin}/$p" "$out/bin/$p"
    done
  '';

  # bash as a store copy of Debian's statically linked bash, so it also runs inside the fake
  # chroot of enableFakechroot, where only the store is visible.
  bash = hostBuild "bash-static" ''
    ${requireHost "${hostBin}/bash-static"}
    mkdir -p "$out/bin"
    cp ${hostBin}/bash-static "$out/bin/bash"
    ln -s bash "$out/bin/sh"
  '';

  # Debian's static busybox (package busybox-static) copied into the store, with one relative symlink per applet.
  busybox = hostBuild "busybox" ''
    ${requireHost "${hostBin}/busybox"}
    mkdir -p "$out/bin"
    cp ${hostBin}/busybox "$out/bin/busybox"
    for applet in $(${hostBin}/busybox --list); do
      [ "$applet" = busybox ] || ln -s busybox "$out/bin/$applet"
    done
  '';

  # chown, chgrp, chmod and mknod from Debian's coreutils, dynamically linked as nixpkgs' are:
  # run by a store copy of glibc's loader with store copies of their libraries, so they work
  # everywhere nixpkgs' would, inside a fake chroot (only the store bound in) too, and fakeroot's
  # preload library sees them (a build user's chown is recorded, as with nixpkgs).
  loader = { x86_64-linux = "ld-linux-x86-64.so.2"; aarch64-linux = "ld-linux-aarch64.so.1"; }.${system} or "unknown";
  dynamicCoreutils = hostBuild "coreutils-dynamic" ''
    mkdir -p "$out/bin" "$out/lib" "$out/libexec"
    for lib in ${loader} libc.so.6 libselinux.so.1 libpcre2-8.so.0; do
      cp -L ${hostLib}/${multiarch}/$lib "$out/lib/"
    done
    for p in chown chgrp chmod mknod; do
      cp ${hostBin}/$p "$out/libexec/"
      printf '%s\n' '#!${busybox}/bin/sh' "exec $out/lib/${loader} --library-path $out/lib $out/libexec/$p \"\$@\"" > "$out/bin/$p"
      chmod 0555 "$out/bin/$p"
    done
  '';

  # "coreutils": busybox's static applets, but the ownership and mode tools dynamically linked,
  # as nixpkgs' are (tests that mean a static program name ${busybox}/bin/<tool> explicitly).
  coreutilsNames = [
    "basename" "cat" "cp" "cut" "date" "dd" "dirname" "du" "echo" "env"
    "expr" "false" "head" "id" "install" "ln" "ls" "mkdir" "mktemp" "mv" "nproc"
    "printf" "pwd" "readlink" "realpath" "rm" "rmdir" "seq" "sha256sum" "sleep" "sort" "stat"
    "sync" "tail" "tee" "test" "touch" "tr" "true" "uname" "uniq" "wc" "whoami" "yes"
  ];
  coreutils = hostBuild "coreutils-busybox" ''
    mkdir -p "$out/bin"
    for name in ${concatStringsSep " " coreutilsNames}; do
      ln -s ${busybox}/bin/busybox "$out/bin/$name"
    done
    ln -s ${dynamicCoreutils}/bin/* "$out/bin/"
  '';

  # fakeroot from Debian: its script needs getopt and friends from /usr/bin; see the note above.
  # fakeroot-sysv itself, not /usr/bin/fakeroot: that is a link into /etc/alternatives, which the
  # sandbox does not show (fakeroot-sysv starts faked-sysv by its /usr/bin path). Run by
  # /usr/bin/sh: its `#!/bin/sh` may not exist in the sandbox (Debian's Nix 2.8 binds none).
  # `-l` preloads the store copy of its library by absolute path. Not root, it does not try the
  # real chown: in a user namespace (the sandbox) that fails with EINVAL, which Debian's
  # fakeroot reports and nixpkgs' (einval.patch) ignores.
  fakeroot = hostBuild "fakeroot" ''
    ${requireHost "${hostBin}/fakeroot-sysv"}
    mkdir -p "$out/bin" "$out/lib"
    cp ${hostLib}/${multiarch}/libfakeroot/libfakeroot-sysv.so "$out/lib/"
    printf '%s\n' '#!${bash}/bin/bash' \
      'if ((EUID != 0)); then export FAKEROOTDONTTRYCHOWN=1; fi' \
      'PATH=$PATH:${hostBin} exec ${hostBin}/sh ${hostBin}/fakeroot-sysv -f ${hostBin}/faked-sysv -l '"$out"'/lib/libfakeroot-sysv.so "$@"' > "$out/bin/fakeroot"
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
  inherit system bash busybox coreutils dynamicCoreutils fakeroot jq closureInfo hostBuild linkHost;
  stdenv = {
    buildPlatform = { inherit system; };
    hostPlatform = { inherit system; isDarwin = false; };
  };
  findutils = linkHost "findutils" [ "find" "xargs" ];
  gnused = linkHost "gnused" [ "sed" ];
  gnugrep = linkHost "gnugrep" [ "grep" ];
  gnutar = linkHost "gnutar" [ "tar" ];
  # Debian's gunzip and zcat are `#!/bin/sh` scripts, and the sandbox may have no /bin/sh.
  gzip = hostBuild "gzip" ''
    ${requireHost "${hostBin}/gzip"}
    mkdir -p "$out/bin"
    ln -s ${hostBin}/gzip "$out/bin/gzip"
    printf '%s\n' '#!${bash}/bin/bash' 'exec ${hostBin}/gzip -d "$@"' > "$out/bin/gunzip"
    printf '%s\n' '#!${bash}/bin/bash' 'exec ${hostBin}/gzip -dc "$@"' > "$out/bin/zcat"
    chmod 0555 "$out/bin/gunzip" "$out/bin/zcat"
  '';
  pigz = linkHost "pigz" [ "pigz" "unpigz" ];
  zstd = linkHost "zstd" [ "zstd" ];
  xz = linkHost "xz" [ "xz" ];
  bzip2 = linkHost "bzip2" [ "bzip2" ];
  proot = linkHost "proot" [ "proot" ];
  # util-linux's pipesz (2.39 and later, as nixpkgs' util-linuxMinimal has it): trixie has it
  # (util-linux-extra). Debian 12's util-linux is older, so there a Perl stand-in does the one
  # call the stream makes (`pipesz --set N --fd F --check --quiet`: fcntl F_SETPIPE_SZ, 1031),
  # and the host's stream widens its pipe as a user's does (src/hashing/pipe-capacity.ts).
  util-linuxMinimal = hostBuild "util-linux-minimal" ''
    mkdir -p "$out/bin"
    if test -e ${hostBin}/pipesz; then
      ln -s ${hostBin}/pipesz "$out/bin/pipesz"
    else
      ${requireHost "${hostBin}/perl"}
      cat > "$out/bin/pipesz" <<'PIPESZ'
    #!${hostBin}/perl
    # Stand-in for util-linux's pipesz: only --set N --fd F (with --check and --quiet).
    my ($size, $fd);
    while (@ARGV) {
      my $arg = shift;
      if ($arg eq '--set') { $size = shift } elsif ($arg eq '--fd') { $fd = shift }
      elsif ($arg ne '--check' && $arg ne '--quiet') { die "pipesz stand-in: unsupported argument $arg\n" }
    }
    die "pipesz stand-in: needs --set N --fd F\n" unless defined $size && defined $fd;
    open(my $handle, '>&=', $fd) or exit 1;
    fcntl($handle, 1031, 0 + $size) or exit 1;
    exit 0;
    PIPESZ
      chmod 0555 "$out/bin/pipesz"
    fi
  '';
  nodejs = linkHost "nodejs" [ "node" ];
  # Debian's nix finds its libraries through RUNPATH /usr/lib/nix; name them under hostLib too.
  nix = hostBuild "nix" ''
    mkdir -p "$out/bin"
    for p in nix nix-store; do
      ${requireHost "${hostBin}/$p"}
      printf '%s\n' '#!${bash}/bin/bash' 'export LD_LIBRARY_PATH=${hostLib}/nix''${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}' "exec ${hostBin}/$p \"\$@\"" > "$out/bin/$p"
      chmod 0555 "$out/bin/$p"
    done
  '';
  sqlite = linkHost "sqlite" [ "sqlite3" ];
}
