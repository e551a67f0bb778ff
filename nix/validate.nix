# Evaluation-time checks of streamLayeredImage / buildLayeredImage arguments (api.md §8).
# Each check returns its value unchanged or throws one message of the form
# "in docker image <name>: <what is wrong>; <how to fix>", so mistakes surface at `nix eval`
# time instead of at `docker load` (api.md §10 items 8, 9). Pure `builtins`, no nixpkgs lib.
let
  inherit (builtins) elem isInt isString match stringLength throw;

  fail = name: message: throw "in docker image ${name}: ${message}";

  # Docker's reference grammar (distribution/reference), applied to the lower-cased name:
  # an optional domain (has a `.` or `:`, or is `localhost`) then `/`-separated path components.
  pathComponent = "[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*";
  domainComponent = "([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
  domain = "(${domainComponent}(\\.${domainComponent})*|[[][a-fA-F0-9:]+[]])(:[0-9]+)?";
  looksLikeDomain = component: component == "localhost" || match ".*[.:].*" component != null;
  splitFirst = s: match "([^/]*)/(.*)" s;
  validReference = s:
    let parts = splitFirst s; in
    stringLength s <= 255 && (
      if parts != null && looksLikeDomain (builtins.elemAt parts 0)
      then match domain (builtins.elemAt parts 0) != null && match "${pathComponent}(/${pathComponent})*" (builtins.elemAt parts 1) != null
      else match "${pathComponent}(/${pathComponent})*" s != null);

  # RFC 3339 date-time (Z or numeric offset, optional fraction) or a plain date; "now" is separate.
  dateRe = "([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])";
  timeRe = "([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])";
  validDate = s: s == "now" || match dateRe s != null || match "${dateRe}[Tt ]${timeRe}" s != null;

  # The archive's file name extension for each compressor (buildLayeredImage, buildImage).
  extensions = { gz = ".tar.gz"; zstd = ".tar.zst"; none = ".tar"; };

  # `compressor` of buildLayeredImage / buildImage, with nixpkgs' wording (api.md §8 row 3).
  compressor = name: compressor:
    if elem compressor (builtins.attrNames extensions) then compressor
    else fail name "compressor must be one of: [gz none zstd]";
in
{
  # `name`: a non-empty string that Docker accepts as a repository once lower-cased.
  name = name: imageName:
    if !isString name then throw "streamLayeredImage: the name argument must be a string, got a ${builtins.typeOf name}"
    else if name == "" then throw "streamLayeredImage: the name argument must not be empty"
    else if !validReference imageName then
      fail name "the name '${imageName}' (lower-cased) is not a valid Docker repository name; use lower-case letters, digits and the separators '.', '_', '__', '-' between them, '/' between path components, and optionally a registry host such as 'registry.example.com/' or 'localhost:5000/' in front"
    else name;

  # `tag`: null, or Docker's tag grammar (api.md §2.2 Quirk).
  tag = name: tag:
    if tag == null then tag
    else if !isString tag then fail name "the tag argument must be a string or null, got a ${builtins.typeOf tag}"
    else if match "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}" tag == null then
      fail name "the tag '${tag}' is not a valid Docker tag; it must start with a letter, digit or '_', continue with letters, digits, '_', '.' or '-', and be at most 128 characters long"
    else tag;

  # `created` / `mtime`: RFC 3339, a plain date, or "now" (api.md §2.2, §10 item 9).
  date = argument: name: value:
    if isString value && validDate value then value
    else fail name "the ${argument} argument must be \"now\", a date such as \"2024-01-31\" or an RFC 3339 date-time such as \"2024-01-31T12:00:00Z\" or \"2024-01-31T12:00:00+01:00\", got ${builtins.toJSON value}";

  # `uid` / `gid`: non-negative integers.
  id = argument: name: value:
    if isInt value && value >= 0 then value
    else fail name "the ${argument} argument must be a non-negative integer, got ${builtins.toJSON value}";

  # `maxLayers`: greater than 1 unless a layering pipeline decides the layers (api.md §8 row 1).
  maxLayers = name: layeringPipeline: maxLayers:
    if layeringPipeline != null then maxLayers
    else if !isInt maxLayers then fail name "the maxLayers argument must be an integer, got ${builtins.toJSON maxLayers}"
    else if maxLayers <= 1 then
      fail name "the maxLayers argument of dockerTools.buildLayeredImage function must be greater than 1 (current value: ${toString maxLayers})"
    # Docker cannot run images deeper than this (format.md §9); nixpkgs does not check.
    else if maxLayers > 125 then
      fail name "the maxLayers argument must be at most 125, Docker's layer limit (current value: ${toString maxLayers}); images with more layers fail to run with 'max depth exceeded'"
    else maxLayers;

  # `config`: an attribute set (or null), with Docker's types for the fields Docker parses as
  # lists of strings; a string `Cmd` would only fail at `docker load` or run time.
  config = name: config:
    let
      isStringList = v: builtins.isList v && builtins.all isString v;
      listField = field:
        if !(config ? ${field}) || config.${field} == null || isStringList config.${field} then true
        else fail name "config.${field} must be a list of strings, got ${builtins.toJSON config.${field}}; write e.g. ${field} = [ \"/bin/app\" \"--flag\" ];";
    in
    if config == null then config
    else if !builtins.isAttrs config then fail name "the config argument must be an attribute set (or null), got a ${builtins.typeOf config}"
    # listField fails on a bad field itself; forcing them all is the check.
    else builtins.seq (builtins.all listField [ "Cmd" "Entrypoint" "Env" "Shell" ]) config;

  # `layeringStrategy` (extension): one of the two strategies of layering.md.
  layeringStrategy = name: strategy:
    if elem strategy [ "popularity" "auto" ] then strategy
    else fail name "the layeringStrategy argument must be one of: [auto popularity], got ${builtins.toJSON strategy}";

  inherit compressor;

  # The checked compressor's extension: ".tar.gz", ".tar.zst" or ".tar".
  extension = name: compressor': extensions.${compressor name compressor'};

  # `enableFakechroot` needs proot, which does not exist on Darwin (api.md §8 row 2).
  fakechroot = name: isDarwin: enable:
    if enable && isDarwin then
      fail name "enableFakechroot is not supported when building on Darwin: proot, which provides the fake chroot, is not portable to Darwin (see https://github.com/NixOS/nixpkgs/issues/327311); use fakeRootCommands without enableFakechroot, cross-compile from Linux, or build inside a Linux VM"
    else enable;

  # Booleans, so a typo such as `includeStorePaths = "false"` does not silently mean true.
  bool = argument: name: value:
    if builtins.isBool value then value
    else fail name "the ${argument} argument must be true or false, got ${builtins.toJSON value}";
}
