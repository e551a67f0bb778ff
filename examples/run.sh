#!/usr/bin/env bash
# Builds an example image through the real flake.nix and runs it, offline on a Debian machine:
#   bash examples/run.sh [hello|busybox-shell [COMMAND...]]
# Installs and starts what is missing (scripts/setup-host.sh: Nix, Docker, host tools) and the
# npm dependencies, then swaps nixpkgs for the host-wired stand-in (test/nix/host-nixpkgs),
# which builds the builder from src/. With network and real nixpkgs, drop --override-input.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
image=${1:-hello}
shift $(($# > 0 ? 1 : 0))

bash scripts/setup-host.sh
[ -d node_modules ] || npm ci
bash test/nix/seed-npm-tarballs.sh   # the stand-in builds the builder from npm's cache, which the sandbox hides
nix build --override-input nixpkgs ./test/nix/host-nixpkgs ".#$image" --out-link "result-$image"
docker load < "result-$image"
docker run --rm --network none "$image:latest" "$@"
