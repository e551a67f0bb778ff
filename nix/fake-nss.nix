# fakeNss: minimal /etc/passwd, /etc/group and /etc/nsswitch.conf with root and nobody, and
# an empty /var/empty (their home), for images whose programs look users up by name.
# Same shape as nixpkgs' dockerTools.fakeNss, including `.override { extraPasswdLines, extraGroupLines }`.
# `pkgs` is the build platform's package set (default.nix passes buildPackages): the files are text.
{ pkgs, system, ... }:
let
  make = { extraPasswdLines ? [ ], extraGroupLines ? [ ] }@args:
    derivation {
      name = "fake-nss";
      inherit system;
      builder = "${pkgs.bash}/bin/bash";
      __structuredAttrs = true;
      passwd = builtins.concatStringsSep "\n" ([
        "root:x:0:0:root user:/var/empty:/bin/sh"
        "nobody:x:65534:65534:nobody:/var/empty:/bin/sh"
      ] ++ extraPasswdLines) + "\n";
      group = builtins.concatStringsSep "\n" ([ "root:x:0:" "nobody:x:65534:" ] ++ extraGroupLines) + "\n";
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
    } // { override = newArgs: make (args // newArgs); };
in
make { }
