# The nix-strata builder (bin/nix-strata) for real users: compiled from src/ with
# `npm run build`, dependencies taken from package-lock.json through importNpmLock, so no hash
# needs updating by hand when the lock changes.
#
# package-lock.json may have been written with npm's `omit-lockfile-registry-resolved`, which
# leaves out the `resolved` URLs importNpmLock fetches from; they are then derived from the
# registry's standard tarball address (`<registry>/<name>/-/<basename>-<version>.tgz`), checked
# against the lock's `integrity` as usual.
{ buildNpmPackage
, importNpmLock
, nodejs
, makeWrapper
, findutils
, coreutils
, pigz
, zstd
, xz
, bzip2
  # pipesz, which widens the pipe of `stream | docker load` (src/hashing/pipe-capacity.ts);
  # without it the stream works as before, through the default 64 KiB pipe.
, util-linuxMinimal ? null
, registry ? "https://registry.npmjs.org"
}:
let
  inherit (builtins) baseNameOf concatStringsSep elem fromJSON mapAttrs match readFile stringLength substring;

  root = ./..;
  package = fromJSON (readFile ../package.json);
  lock = fromJSON (readFile ../package-lock.json);

  # Only what the build reads, so unrelated edits (docs, tests) do not rebuild the builder.
  src = builtins.path {
    name = "nix-strata-source";
    path = root;
    filter = path: _type:
      let relative = substring (stringLength (toString root) + 1) (-1) (toString path); in
      elem relative [ "package.json" "package-lock.json" "tsconfig.json" "tsconfig.build.json" "bin" "src" ]
      || match "(bin|src)/.*" relative != null;
  };

  # "node_modules/a/node_modules/@s/b" -> "@s/b"
  packageName = key: let m = match ".*node_modules/((@[^/]+/)?[^/]+)" key; in if m == null then null else builtins.head m;
  withResolved = key: entry:
    let name = packageName key; in
    if key == "" || entry ? resolved || !(entry ? integrity) || name == null then entry
    else entry // { resolved = "${registry}/${name}/-/${baseNameOf name}-${entry.version}.tgz"; };
  packageLock = lock // { packages = mapAttrs withResolved lock.packages; };

  # Programs the builder starts: find/stat for the customisation layer, the compressors, pipesz.
  runtimePath = concatStringsSep ":" (map (p: "${p}/bin")
    ([ findutils coreutils pigz zstd xz bzip2 ] ++ (if util-linuxMinimal == null then [ ] else [ util-linuxMinimal ])));
in
buildNpmPackage {
  pname = "nix-strata";
  inherit (package) version;
  inherit src nodejs;
  npmDeps = importNpmLock { npmRoot = src; inherit package packageLock; };
  npmConfigHook = importNpmLock.npmConfigHook;
  npmBuildScript = "build";
  nativeBuildInputs = [ makeWrapper ];
  postInstall = ''
    wrapProgram "$out/bin/nix-strata" --suffix PATH : ${runtimePath}
  '';
  meta = {
    inherit (package) description;
    mainProgram = "nix-strata";
  };
}
