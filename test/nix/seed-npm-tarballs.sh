#!/usr/bin/env bash
# Adds the npm tarballs of package-lock.json from npm's cache (filled by `npm ci`) to the Nix
# store, as the fixed-output paths of test/nix/host-npm.nix's importNpmLock stand-in. A
# sandboxed build cannot read npm's cache, so this runs first, outside any build, before
# anything builds nix/package.nix through the host stand-in (the flake with host-nixpkgs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

cache=${NPM_CONFIG_CACHE:-$(npm config get cache)}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

nix-instantiate --eval --strict --json -E '
  let npm = import ./test/nix/host-npm.nix { pkgs = import ./test/nix/host-pkgs.nix { system = builtins.currentSystem; }; };
  in npm.npmTarballs (builtins.fromJSON (builtins.readFile ./package-lock.json))' |
  jq -r '.[] | "\(.name) \(.integrity)"' |
  while read -r name integrity; do
    hex=$(printf '%s' "${integrity#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
    file="$cache/_cacache/content-v2/sha512/${hex:0:2}/${hex:2:2}/${hex:4}"
    [ -f "$file" ] || { echo "seed-npm-tarballs: $name ($integrity) is not in npm's cache $cache; run npm ci first" >&2; exit 1; }
    cp "$file" "$dir/$name"
  done
nix-store --add-fixed sha512 "$dir"/* >/dev/null
