#!/usr/bin/env bash
# Installs and configures what nix-strata's tests need on a Debian machine:
# Nix (single-user, as root, sandbox on), Docker Engine, the image tools the tests use, and a
# Debian trixie root with a current Nix for the second e2e run (scripts/make-trixie.sh).
# Idempotent: safe to run again; it only does what is missing.
set -euo pipefail

packages=(nix-bin docker.io skopeo umoci podman fakeroot proot pigz zstd xz-utils bzip2 busybox-static bash-static jq sqlite3 docker-registry apache2-utils findutils debootstrap)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Nix: single-user as root, sandbox on as users have it (and failing loudly where it cannot be
# set up), host programs for the stand-ins through /usr only (never /bin: Nix makes its /bin/sh
# mount point inside it, which on merged /usr truncates the host's dash), no binary caches.
mkdir -p /etc/nix
want=$'sandbox = true\nsandbox-fallback = false\nextra-sandbox-paths = /usr /lib=/usr/lib /lib64=/usr/lib64\nsubstituters =\nbuild-users-group =\nexperimental-features = nix-command flakes'
if [ "$(cat /etc/nix/nix.conf 2>/dev/null)" != "$want" ]; then
  printf '%s\n' "$want" > /etc/nix/nix.conf
fi
mkdir -p /nix/store /nix/var/nix
# Build users for the e2e tests that build as one (`--option build-users-group nixbld`), as Debian's
# nix-setup-systemd makes them, in case it is not installed.
getent group nixbld >/dev/null || groupadd --system nixbld
for i in $(seq 1 10); do
  id "nixbld$i" >/dev/null 2>&1 ||
    useradd --system --gid nixbld --groups nixbld --home-dir /var/empty --no-create-home \
      --shell /usr/sbin/nologin --comment "Nix build user $i" "nixbld$i"
done

# Docker Engine without networking (the machine has none to give it).
if ! docker info >/dev/null 2>&1; then
  echo "setup: starting dockerd" >&2
  nohup dockerd --bridge=none --iptables=false >/var/log/nix-strata-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not start; see /var/log/nix-strata-dockerd.log" >&2; exit 1; }
fi
echo "setup: nix $(nix --version | awk '{print $NF}'), docker $(docker version --format '{{.Server.Version}}')" >&2

# The trixie root (Nix 2.26.3, sandbox, build users) the e2e suite runs in a second time.
bash "$(dirname "${BASH_SOURCE[0]}")/make-trixie.sh"
