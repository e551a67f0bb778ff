# Bash that loads a __structuredAttrs derivation's `.attrs.sh`. `$NIX_BUILD_TOP/.attrs.sh` exists
# on every Nix from 2.4 on; before 2.15, `$NIX_ATTRS_SH_FILE` holds the host-side path, which does
# not exist inside the sandbox (NixOS/nix#6736), so the variable is only the fallback.
''
  if [[ -e "$NIX_BUILD_TOP/.attrs.sh" ]]; then source "$NIX_BUILD_TOP/.attrs.sh"; else source "$NIX_ATTRS_SH_FILE"; fi
''
