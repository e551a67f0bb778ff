# Stand-ins for nixpkgs' importNpmLock, buildNpmPackage and makeWrapper, enough to build
# nix/package.nix offline on this machine (used by test/nix/host-nixpkgs).
#
# importNpmLock: one fixed-output derivation per package-lock entry, hashed with the lock's
# own `integrity`, like nixpkgs' fetchurl. Instead of downloading, the tarballs come from npm's
# content-addressed cache, which `npm ci` filled: the sandbox does not show that cache, so
# test/nix/seed-npm-tarballs.sh adds each tarball to the store beforehand (`nix-store
# --add-fixed`, the path these derivations would produce), and the derivation itself only
# runs, and fails saying so, when that was not done. `npmTarballs` lists them for the script.
# Entries for other platforms (esbuild's optional binaries) are left out, as npm ci does.
{ pkgs }:
let
  inherit (builtins) attrNames concatStringsSep elem filter fromJSON head match readFile replaceStrings;
  inherit (pkgs) bash system;

  npmCpu = { x86_64-linux = "x64"; aarch64-linux = "arm64"; }.${system} or "unknown";
  fitsHost = entry: (!(entry ? os) || elem "linux" entry.os) && (!(entry ? cpu) || elem npmCpu entry.cpu);
  packageName = key: head (match ".*node_modules/((@[^/]+/)?[^/]+)" key);
  storeName = s: replaceStrings [ "@" "/" ] [ "" "-" ] s;

  tarballName = key: entry: "${storeName (packageName key)}-${entry.version}.tgz";

  # One tarball of npm's cache, verified against `integrity` by Nix itself when it is added.
  fetchFromNpmCache = key: entry: derivation {
    name = tarballName key entry;
    inherit system;
    builder = "/usr/bin/sh";
    outputHashMode = "flat";
    outputHash = entry.integrity;
    args = [ "-c" "echo '${key} (${entry.integrity}) is not in the store; run test/nix/seed-npm-tarballs.sh (after npm ci)' >&2; exit 1" ];
  };

  # The lock's entries for this platform.
  lockKeys = packageLock: filter (key: key != "" && fitsHost packageLock.packages.${key}) (attrNames packageLock.packages);

  # What test/nix/seed-npm-tarballs.sh adds: store name and integrity of each tarball.
  npmTarballs = packageLock: map (key: { name = tarballName key packageLock.packages.${key}; inherit (packageLock.packages.${key}) integrity; }) (lockKeys packageLock);

  # nixpkgs' importNpmLock, returning the lock's node_modules tree (dev dependencies included).
  importNpmLock.__functor = _: { npmRoot ? null, package ? fromJSON (readFile (npmRoot + "/package.json")), packageLock ? fromJSON (readFile (npmRoot + "/package-lock.json")), ... }:
    let
      keys = lockKeys packageLock;
      pairs = map (key: "${key} ${fetchFromNpmCache key packageLock.packages.${key}}") keys;
    in
    derivation {
      name = "${storeName package.name}-${package.version}-node-modules";
      inherit system;
      builder = "/usr/bin/bash";
      PATH = "/usr/bin";
      pairs = concatStringsSep "\n" pairs;
      prodKeys = concatStringsSep "\n" (filter (key: !(packageLock.packages.${key}.dev or false)) keys);
      args = [
        "-ec"
        ''
          while read -r key tarball; do
            mkdir -p "$out/$key"
            tar -xzf "$tarball" --strip-components=1 --no-same-owner -C "$out/$key"
          done <<< "$pairs"
          printf '%s\n' "$prodKeys" > "$out/prod-keys"
        ''
      ];
    };
  # nixpkgs' hook that installs npmDeps; the stand-in buildNpmPackage does that itself.
  importNpmLock.npmConfigHook = null;

  # makeWrapper's wrapProgram, for the options nix/package.nix uses (--prefix/--suffix/--set).
  wrapProgramFunction = ''
    wrapProgram() {
      local program=$1 exports=""
      shift
      while (($#)); do
        case "$1" in
          --suffix) exports+="export $2=\"\''${$2:+\''$$2$3}$4\""$'\n'; shift 4 ;;
          --prefix) exports+="export $2=\"$4\''${$2:+$3\''$$2}\""$'\n'; shift 4 ;;
          --set) exports+="export $2=\"$3\""$'\n'; shift 3 ;;
          *) echo "wrapProgram stand-in: unsupported option $1" >&2; return 1 ;;
        esac
      done
      mv "$program" "$(dirname "$program")/.$(basename "$program")-wrapped"
      printf '%s\n%s%s\n' '#!${bash}/bin/bash' "$exports" "exec \"$(dirname "$program")/.$(basename "$program")-wrapped\" \"\$@\"" > "$program"
      chmod 0555 "$program"
    }
  '';

  # nixpkgs' buildNpmPackage: copy the dependencies, run the build script, install what
  # `npm pack` would (package.json `files`) plus production node_modules, wrap the bins.
  buildNpmPackage = { pname, version, src, npmDeps, nodejs, npmBuildScript ? "build", postInstall ? "", meta ? { }, ... }:
    derivation {
      name = "${pname}-${version}";
      inherit system src npmDeps npmBuildScript postInstall;
      builder = "${bash}/bin/bash";
      PATH = "${nodejs}/bin:/usr/bin";
      args = [
        "-ec"
        ''
          ${wrapProgramFunction}
          export HOME=$TMPDIR npm_config_cache=$TMPDIR/npm-cache npm_config_update_notifier=false
          cp -r "$src" build && chmod -R u+w build && cd build
          cp -r "$npmDeps/node_modules" node_modules && chmod -R u+w node_modules
          npm rebuild --offline --ignore-scripts >&2
          npm run --offline "$npmBuildScript" >&2

          name=$(node -p 'require("./package.json").name')
          packageOut="$out/lib/node_modules/$name"
          mkdir -p "$packageOut/node_modules" "$out/bin"
          cp package.json "$packageOut/"
          for file in $(node -p '(require("./package.json").files ?? []).join("\n")'); do
            if [ -e "$file" ]; then cp -r "$file" "$packageOut/"; fi
          done
          while read -r key; do
            # Writable at once: a nested key (a/node_modules/b) is copied into it next, and the
            # build user (unlike root) cannot write into the store's read-only copies.
            mkdir -p "$packageOut/$key" && cp -r "$npmDeps/$key/." "$packageOut/$key/" && chmod -R u+w "$packageOut/$key"
          done < "$npmDeps/prod-keys"
          node -p 'Object.entries(require("./package.json").bin ?? {}).map(([n, p]) => n + " " + p).join("\n")' |
            while read -r bin target; do
              printf '%s\n' '#!${bash}/bin/bash' "exec ${nodejs}/bin/node \"$packageOut/$target\" \"\$@\"" > "$out/bin/$bin"
              chmod 0555 "$out/bin/$bin"
            done
          eval "$postInstall"
        ''
      ];
    } // { inherit meta; };
in
{
  inherit importNpmLock buildNpmPackage npmTarballs;
  # Only its presence matters: the stand-in wrapProgram is always defined.
  makeWrapper = null;
}
