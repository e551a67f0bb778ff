# buildLayer (issue 12 item 4): one store layer built once and cached by Nix, for the `layers`
# argument of streamLayeredImage / buildLayeredImage. The output directory holds `layer.json`
# (diff_id, size, paths, blob digest, parents; docs/contract.md) and the blob (`layer.tar.gz`,
# `.tar.zst` or `.tar`), written by `nix-strata layer`. The layer is the closure of `deps` and
# `copyToRoot`, less every path the given `layers` hold (read from their layer.json at build time:
# only the direct layers are arguments, so chains never nest, unlike nixkube#47); copyToRoot's
# trees are also copied at the layer root, as buildImage copies them.
{ pkgs, nix-strata, system }:
let
  inherit (builtins) all isAttrs isList isString map match;
  check = import ./validate.nix;
  pathLike = v: builtins.isPath v || (isAttrs v && v ? outPath) || (isString v && match "/.*" v != null);
  compressions = { gz = "gzip"; zstd = "zstd"; none = "none"; };
in
{ # Store paths (derivations or paths) whose closure goes into the layer.
  deps ? [ ]
  # Directories copied at the layer root (a single path is one element); their closure is in the layer too.
, copyToRoot ? null
  # buildLayer results this layer is built on: their paths (and their parents') are left out.
, layers ? [ ]
  # Modification time of every store entry: a date (not "now": the layer is cached).
, mtime ? "1970-01-01T00:00:01Z"
, uid ? 0
, gid ? 0
, uname ? "root"
, gname ? "root"
  # "gz" (layer.tar.gz), "zstd" (layer.tar.zst) or "none" (layer.tar).
, compressor ? "gz"
  # Extension: the derivation's name.
, name ? "nix-strata-layer"
}:
let
  # check.* messages read "in docker image <where>: …".
  where = "buildLayer ${name}";
  fail = message: throw "in ${where}: ${message}";
  depsList =
    if isList deps && all pathLike deps then map (d: "${d}") deps
    else fail "deps must be a list of store paths (derivations or paths), e.g. [ pkgs.hello ], got ${if isList deps then "a list with an element of another type" else "a ${builtins.typeOf deps}"}";
  rootList = if copyToRoot == null then [ ] else map (check.contents where) (if isList copyToRoot then copyToRoot else [ copyToRoot ]);
  layerList = check.layers where layers;
  checkedMtime =
    if mtime == "now" then fail "mtime cannot be \"now\": a buildLayer is built once and cached; give a date such as \"2024-01-31T12:00:00Z\""
    else check.date "mtime" where mtime;
  checkedName =
    if isString name && match "[A-Za-z0-9+_?=-][A-Za-z0-9+._?=-]*" name != null then name
    else throw "buildLayer: the name argument must be a valid store path name (letters, digits and +-._?=, not starting with a dot), got ${builtins.toJSON name}";

  layer = derivation {
    name = checkedName;
    inherit system;
    builder = "${nix-strata}/bin/nix-strata";
    args = [ "layer" ];
    __structuredAttrs = true;
    # The contract's layer spec (docs/contract.md); `nix-strata layer` rejects unknown keys.
    spec = {
      version = 1;
      inherit (builtins) storeDir;
      copyToRoot = rootList;
      layers = layerList;
      mtime = checkedMtime;
      uid = check.id "uid" where uid;
      gid = check.id "gid" where gid;
      uname = check.string "uname" where uname;
      gname = check.string "gname" where gname;
      compression = compressions.${check.compressor where compressor};
    };
    exportReferencesGraph.closure = depsList ++ rootList;
    # The zstd compressor is a program; PATH is otherwise empty in a build.
    PATH = "${pkgs.zstd}/bin";
  };
in
layer // { isNixStrataLayer = true; }
