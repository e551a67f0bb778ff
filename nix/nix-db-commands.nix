# Shell commands that register the closure of `contents` in a Nix database inside the tree
# being built (api.md §5.3 step 3), shared by buildLayeredImage's customisation layer and
# buildImage's layer. They run with the tree as the working directory and expect the
# derivation's structured attrs `nixDb` (a closureInfo) and `contents` (the store paths).
''
  echo "Generating the nix database..." >&2
  export NIX_REMOTE="local?root=$PWD" USER=nobody
  nix-store --load-db < "$nixDb/registration"
  # Fixed registration times keep the layer reproducible.
  sqlite3 nix/var/nix/db/db.sqlite "UPDATE ValidPaths SET registrationTime = $SOURCE_DATE_EPOCH"
  mkdir -p nix/var/nix/gcroots/docker
  for path in "''${contents[@]}"; do ln -s "$path" "nix/var/nix/gcroots/docker/''${path##*/}"; done
''
