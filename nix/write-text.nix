# A tiny `writeText` / `writeScript` on plain `builtins.derivation`, so nix/ needs no nixpkgs
# lib and a stand-in package set works. The text travels as a structured attribute (never
# spliced into shell); store paths in it become references of the output as usual.
{ bash, coreutils, system }:
{ name, text, executable ? false, inputs ? [ ] }:
derivation {
  inherit name system text executable;
  # Build-time dependencies only (e.g. a derivation whose log matters), never referenced.
  inherit inputs;
  builder = "${bash}/bin/bash";
  __structuredAttrs = true;
  # Writing a file is never worth a remote builder, nor the build-hook process Nix starts to ask.
  preferLocalBuild = true;
  args = [
    "-c"
    ''
      set -eu
      ${import ./source-attrs.nix}
      printf '%s' "$text" > "''${outputs[out]}"
      if [[ -n "$executable" ]]; then ${coreutils}/bin/chmod 0555 "''${outputs[out]}"; fi
    ''
  ];
}
