# fakeNss: minimal /etc/passwd, /etc/group and /etc/nsswitch.conf with root and nobody, and
# an empty /var/empty (their home), for images whose programs look users up by name.
# nixpkgs' fakeNss (pkgs/by-name/fa/fakeNss): the same arguments (`.override { extraPasswdLines,
# extraGroupLines }`, or a function of the previous ones) and the same text, extra lines
# between root and nobody. Unlike nixpkgs' symlinkJoin, one store path of real files: an
# image gets a plain /etc/passwd that runAsRoot's useradd can rewrite, and no extra store paths.
# The flake's overlay makes this both pkgs.fakeNss and pkgs.dockerTools.fakeNss.
# `pkgs` is the build platform's package set (default.nix passes buildPackages): the files are text.
{ pkgs, system, ... }:
let
  make = { extraPasswdLines ? [ ], extraGroupLines ? [ ] }@args:
    derivation {
      name = "fake-nss";
      inherit system;
      builder = "${pkgs.bash}/bin/bash";
      __structuredAttrs = true;
      passwd = lines ([ "root:x:0:0:root user:/var/empty:/bin/sh" ] ++ extraPasswdLines ++ [ "nobody:x:65534:65534:nobody:/var/empty:/bin/sh" ]);
      group = lines ([ "root:x:0:" ] ++ extraGroupLines ++ [ "nobody:x:65534:" ]);
      nsswitch = "hosts: files dns\n";
      args = [
        "-e"
        "-c"
        ''
          ${import ./source-attrs.nix}
          out=''${outputs[out]}
          ${pkgs.coreutils}/bin/mkdir -p "$out/etc" "$out/var/empty"
          printf '%s' "$passwd" > "$out/etc/passwd"
          printf '%s' "$group" > "$out/etc/group"
          printf '%s' "$nsswitch" > "$out/etc/nsswitch.conf"
        ''
      ];
    } // { override = newArgs: make (args // (if builtins.isFunction newArgs then newArgs args else newArgs)); };
  lines = list: builtins.concatStringsSep "" (map (line: line + "\n") list);
in
make { }
