# Stand-ins for nixpkgs' importNpmLock, buildNpmPackage and makeWrapper, enough to build
# nix/package.nix offline on this machine (used by test/nix/host-nixpkgs).
#
# importNpmLock: one fixed-output derivation per package-lock entry, hashed with the lock's
# own `integrity`, like nixpkgs' fetchurl. Instead of downloading, it copies the tarball from
# npm's content-addressed cache, which `npm ci` filled ($NPM_CONFIG_CACHE, else /root/.npm).
# Entries for other platforms (esbuild's optional binaries) are left out, as npm ci does.
{ pkgs }:
let
  inherit (builtins) attrNames concatStringsSep elem filter fromJSON head match readFile replaceStrings;
  inherit (pkgs) bash system;

  npmCpu = { x86_64-linux = "x64"; aarch64-linux = "arm64"; }.${system} or "unknown";
  fitsHost = entry: (!(entry ? os) || elem "linux" entry.os) && (!(entry ? cpu) || elem npmCpu entry.cpu);
  packageName = key: head (match ".*node_modules/((@[^/]+/)?[^/]+)" key);
  storeName = s: replaceStrings [ "@" "/" ] [ "" "-" ] s;

  # One tarball out of npm's cache, verified against `integrity` by Nix itself.
  fetchFromNpmCache = key: entry: derivation {
    name = "${storeName (packageName key)}-${entry.version}.tgz";
    inherit system;
    builder = "/bin/bash";
    PATH = "/usr/bin:/bin";
    integrity = entry.integrity;
    outputHashMode = "flat";
    outputHash = entry.integrity;
    impureEnvVars = [ "NPM_CONFIG_CACHE" ];
    args = [
      "-ec"
      ''
        hex=$(printf '%s' "''${integrity#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
        for cache in "''${NPM_CONFIG_CACHE:-/nonexistent}" /root/.npm; do
          file="$cache/_cacache/content-v2/sha512/''${hex:0:2}/''${hex:2:2}/''${hex:4}"
          if [ -f "$file" ]; then cp "$file" "$out"; exit 0; fi
        done
        echo "${key} ($integrity) is not in npm's cache; run \`npm ci\` in the repository first" >&2
        exit 1
      ''
    ];
  };

  # nixpkgs' importNpmLock, returning the lock's node_modules tree (dev dependencies included).
  importNpmLock.__functor = _: { npmRoot ? null, package ? fromJSON (readFile (npmRoot + "/package.json")), packageLock ? fromJSON (readFile (npmRoot + "/package-lock.json")), ... }:
    let
      keys = filter (key: key != "" && fitsHost packageLock.packages.${key}) (attrNames packageLock.packages);
      pairs = map (key: "${key} ${fetchFromNpmCache key packageLock.packages.${key}}") keys;
    in
    derivation {
      name = "${storeName package.name}-${package.version}-node-modules";
      inherit system;
      builder = "/bin/bash";
      PATH = "/usr/bin:/bin";
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
      PATH = "${nodejs}/bin:/usr/bin:/bin";
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
            mkdir -p "$packageOut/$key" && cp -r "$npmDeps/$key/." "$packageOut/$key/"
          done < "$npmDeps/prod-keys"
          chmod -R u+w "$packageOut"
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
  inherit importNpmLock buildNpmPackage;
  # Only its presence matters: the stand-in wrapProgram is always defined.
  makeWrapper = null;
}
