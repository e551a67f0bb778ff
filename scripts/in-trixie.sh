#!/usr/bin/env bash
# Runs a command inside the trixie root made by scripts/make-trixie.sh:
#   scripts/in-trixie.sh [--no-checkout] CMD [ARG...]
# The root is entered with a private mount namespace and pivot_root, NOT chroot: the kernel
# refuses user namespaces to a chrooted process, and Nix could then not sandbox its builds.
# Bound in: /proc, /dev, /sys, the Docker socket, npm's cache (the stand-ins' npm tarballs)
# and this checkout at its own path (the working directory; node_modules and dist are shared).
# The root's own /nix is used, never the host's: the two Nix versions keep separate stores.
# NIX_STRATA_TRIXIE_RO_BINDS (colon-separated host directories) binds each read-only at
# /host<dir> in the root (the bench builds its closure from them: bench/run.ts, BENCH_NIX=trixie).
# NIX_STRATA_DOCKER_STORE tells the tests where dockerd (outside) sees this store.
set -euo pipefail

root=${NIX_STRATA_TRIXIE:-/var/lib/nix-strata/trixie}
checkout=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ "${1:-}" != --entered ]; then
  [ -e "$root/.debootstrap-done" ] || { echo "in-trixie: no trixie root at $root; run scripts/make-trixie.sh" >&2; exit 1; }
  [ "$(id -u)" = 0 ] || { echo "in-trixie: must run as root (it mounts and pivots into $root)" >&2; exit 1; }
  exec unshare --mount --propagation private -- "$BASH" "${BASH_SOURCE[0]}" --entered "$@"
fi
shift

with_checkout=1
if [ "${1:-}" = --no-checkout ]; then with_checkout=0; shift; fi
(($#)) || { echo "in-trixie: no command given; usage: scripts/in-trixie.sh [--no-checkout] CMD [ARG...]" >&2; exit 2; }

# pivot_root needs the new root to be a mount point.
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
mount -t tmpfs tmpfs "$root/run"
if [ -S /var/run/docker.sock ]; then
  touch "$root/run/docker.sock"
  mount --bind /var/run/docker.sock "$root/run/docker.sock"
fi
npm_cache=${NPM_CONFIG_CACHE:-$HOME/.npm}
if [ -d "$npm_cache" ]; then
  mkdir -p "$root/root/.npm"
  mount --bind "$npm_cache" "$root/root/.npm"
fi
IFS=: read -ra ro_binds <<<"${NIX_STRATA_TRIXIE_RO_BINDS:-}"
for dir in "${ro_binds[@]}"; do
  [ -n "$dir" ] || continue
  mkdir -p "$root/host$dir"
  mount --bind "$dir" "$root/host$dir"
  mount -o remount,bind,ro "$root/host$dir"
done
workdir=/
if ((with_checkout)); then
  mkdir -p "$root$checkout"
  mount --bind "$checkout" "$root$checkout"
  # A git worktree's repository lives elsewhere; the flake (a git+file flake) needs it.
  gitdir=$(git -C "$checkout" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
  case "$gitdir" in
    "" | "$checkout"/*) ;;
    *) mkdir -p "$root$gitdir" && mount --bind "$gitdir" "$root$gitdir" ;;
  esac
  workdir=$checkout
fi

mkdir -p "$root/.old-root"
cd "$root"
pivot_root . .old-root
umount --lazy /.old-root
cd "$workdir"

exec env -u NIX_CONF_DIR -u NIX_PATH -u NIX_REMOTE -u NPM_CONFIG_CACHE -u NIX_STRATA_TRIXIE_RO_BINDS \
  HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
  NIX_STRATA_DOCKER_STORE="$root/nix/store" \
  "$@"
