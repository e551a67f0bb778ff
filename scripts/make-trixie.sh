#!/usr/bin/env bash
# Makes the Debian trixie root the e2e suite also runs in, for a current Nix (trixie's nix-bin,
# 2.26.3) with the sandbox on and build users, as under nix-daemon. scripts/in-trixie.sh enters it.
#   NIX_STRATA_TRIXIE  where the root lives (default /var/lib/nix-strata/trixie, outside the checkout)
# Idempotent: a complete root (marker file, written last, matching this script's settings) is
# left alone; an interrupted debootstrap is started again; package installs are repeated.
set -euo pipefail

root=${NIX_STRATA_TRIXIE:-/var/lib/nix-strata/trixie}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build_users=8

# nodejs/npm/git to run the suite; the rest are the programs the e2e tests and stand-ins call
# (util-linux-extra: pipesz, which Debian 12's util-linux lacks).
packages=(nodejs npm git docker-cli skopeo umoci podman fakeroot proot pigz zstd xz-utils bzip2
  busybox-static bash-static jq sqlite3 docker-registry apache2-utils findutils time util-linux-extra)

nix_conf=$'sandbox = true\nsandbox-fallback = false\nextra-sandbox-paths = /usr /lib=/usr/lib /lib64=/usr/lib64\nsubstituters =\nbuild-users-group = nixbld\nexperimental-features = nix-command flakes'

marker="$root/.nix-strata-complete"
# The marker holds what the root was made with, so a changed package list or nix.conf redoes it.
stamp=$(printf '%s\n' "${packages[*]}" "$nix_conf" "$build_users" "uids from 30001" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$marker" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

# The first deb822 `URIs:` (or one-line `deb`) mirror of the machine's apt sources, not security.
mirror() {
  local sources=() file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] && sources+=("$file")
  done
  ((${#sources[@]})) || return 0
  awk '$1 == "URIs:" { for (i = 2; i <= NF; i++) print $i }
       $1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; break } }' "${sources[@]}" |
    awk '!/-security/ { print; exit }'
}

if [ ! -e "$root/.debootstrap-done" ]; then
  command -v debootstrap >/dev/null || { echo "make-trixie: debootstrap is missing; run scripts/setup-host.sh" >&2; exit 1; }
  url=$(mirror)
  [ -n "$url" ] || { echo "make-trixie: no Debian mirror in /etc/apt/sources.list.d; add one or set up apt first" >&2; exit 1; }
  echo "make-trixie: debootstrap trixie from $url into $root" >&2
  rm -rf "$root.partial"
  mkdir -p "$(dirname "$root")"
  # libdbi-perl: nix-bin needs perl-dbdabi-94, a virtual package debootstrap cannot resolve.
  debootstrap --variant=minbase --include=nix-bin,ca-certificates,libdbi-perl trixie "$root.partial" "$url" >"$root.debootstrap.log" 2>&1 ||
    { echo "make-trixie: debootstrap failed; see $root.debootstrap.log" >&2; exit 1; }
  touch "$root.partial/.debootstrap-done"
  rm -rf "$root"
  mv "$root.partial" "$root"
fi

# Network and npm as outside: the host's CA bundle and npm config.
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
if [ -f "$HOME/.npmrc" ]; then cp "$HOME/.npmrc" "$root/root/.npmrc"; fi
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

echo "make-trixie: installing ${packages[*]}" >&2
"$here/in-trixie.sh" --no-checkout sh -ec '
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
' sh "${packages[@]}"

# Build users, so builds run as nixbld<N> as under nix-daemon (Nix uses them when
# build-users-group is set, also for root's own builds). Their uids (from 30001) must differ from
# the host's build users: the two Nix installs keep separate user pools, and Nix kills every
# process of a build user before and after a build, so shared uids kill each other's builds.
"$here/in-trixie.sh" --no-checkout sh -ec '
  getent group nixbld >/dev/null || groupadd --gid 30000 nixbld
  [ "$(getent group nixbld | cut -d: -f3)" = 30000 ] || groupmod --gid 30000 nixbld
  for i in $(seq 1 "$1"); do
    uid=$((30000 + i))
    if id "nixbld$i" >/dev/null 2>&1; then
      [ "$(id -u "nixbld$i")" = "$uid" ] || usermod --uid "$uid" --gid nixbld "nixbld$i"
    else
      useradd --uid "$uid" --gid nixbld --groups nixbld --home-dir /var/empty --no-create-home \
        --shell /usr/sbin/nologin --comment "Nix build user $i" "nixbld$i"
    fi
  done
' sh "$build_users"

mkdir -p "$root/etc/nix" "$root/nix/store" "$root/nix/var/nix"
printf '%s\n' "$nix_conf" > "$root/etc/nix/nix.conf"

printf '%s\n' "$stamp" > "$marker"
echo "make-trixie: $root ready ($("$here/in-trixie.sh" --no-checkout nix --version))" >&2
