# Small packages made from this machine's files, standing in for nixpkgs' hello, bash, a
# shared library and odd store shapes in tests and examples. Every program runs on the static
# busybox, so images need no libc.
{ pkgs }:
let
  inherit (pkgs) busybox hostBuild;
  writeText = import ../../nix/write-text.nix { inherit (pkgs) bash coreutils system; };

  # An executable store file `<name>` with a shebang to the store's busybox sh.
  script = name: body: writeText {
    inherit name;
    executable = true;
    text = "#!${busybox}/bin/sh\n${body}\n";
  };

  # A package `<name>` with bin/<name>.
  program = name: body: hostBuild name ''
    mkdir -p "$out/bin"
    ln -s ${script "${name}-script" body} "$out/bin/${name}"
  '';
in
rec {
  inherit busybox;

  # Prints the classic greeting, like nixpkgs' hello.
  hello = program "hello" "echo 'Hello, world!'";

  # A "library" two applications share, so their closures overlap in one store path.
  libgreet = hostBuild "libgreet" ''
    mkdir -p "$out/lib"
    printf '%s\n' 'greet() { echo "greetings from $1"; }' > "$out/lib/greet.sh"
  '';
  app-a = program "app-a" ". ${libgreet}/lib/greet.sh; greet app-a";
  app-b = program "app-b" ". ${libgreet}/lib/greet.sh; greet app-b";

  # A store path that is itself a symlink, to a directory so it can be a contents element
  # (acceptance A21).
  symlinkTarget = hostBuild "symlink-target" "mkdir -p \"$out/dir\" && echo 'Content does not matter.' > \"$out/dir/target\"";
  storeSymlink = hostBuild "store-symlink" "ln -s ${symlinkTarget} \"$out\"";

  # A store path that is a plain file, and a program reading it (acceptance A20).
  somefile = writeText { name = "somefile"; text = "some data\n"; };
  cat-somefile = program "cat-somefile" "exec ${busybox}/bin/cat ${somefile}";

  # chown, chgrp, chmod and mknod, dynamically linked as nixpkgs' are (test/nix/host-pkgs.nix).
  inherit (pkgs) dynamicCoreutils;

  # nixpkgs' cacert: the host's Mozilla certificates as one bundle at cacert's path.
  cacert = hostBuild "cacert" ''
    mkdir -p "$out/etc/ssl/certs"
    cat /usr/share/ca-certificates/mozilla/*.crt > "$out/etc/ssl/certs/ca-bundle.crt"
  '';

  # A stdenv's `setup` as nix-shell sources it: busybox on PATH, runHook running a hook variable.
  shellStdenv = hostBuild "shell-stdenv" ''
    mkdir -p "$out"
    printf '%s\n' 'export PATH=${busybox}/bin''${PATH:+:$PATH}' 'runHook() { eval "''${!1}"; }' 'SETUP_SOURCED=yes' > "$out/setup"
  '';

  # A derivation to build inside a streamNixShellImage: attributes of every kind, two outputs,
  # a passAsFile attribute, a shellHook, and a builder that writes both outputs.
  shellDrv = derivation {
    name = "shell-demo-1.0";
    inherit (pkgs) system;
    builder = "${busybox}/bin/sh";
    args = [ "-c" "mkdir -p $out $dev && echo \"built $greeting\" > $out/result && echo dev > $dev/result" ];
    stdenv = shellStdenv;
    greeting = "hello from the drv";
    words = [ "one" "two" 3 ];
    yes = true;
    no = false;
    outputs = [ "out" "dev" ];
    passAsFile = [ "longText" ];
    longText = "passed as a file";
    shellHook = "echo shellHook ran";
  };

  # A uniquely named hello reached only through a symlink made in fakeRootCommands (A24).
  fakeRootHello = program "layeredImageWithFakeRootCommands-hello" "echo 'Hello from fakeRootCommands'";
}
