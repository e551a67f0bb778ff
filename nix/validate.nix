# Evaluation-time checks of streamLayeredImage / buildLayeredImage arguments (api.md §8).
# Each check returns its value unchanged or throws one message of the form
# "in docker image <name>: <what is wrong>; <how to fix>", so mistakes surface at `nix eval`
# time instead of at `docker load` (api.md §10 items 8, 9). Pure `builtins`, no nixpkgs lib.
let
  inherit (builtins) elem isInt isString match stringLength throw;

  fail = name: message: throw "in docker image ${name}: ${message}";

  # ASCII lower case (Docker matches config field names case-insensitively).
  lower = builtins.replaceStrings
    [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ]
    [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];

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
  # Checked exactly as the builder parses them (src/image/date.ts): real days of the month
  # (Gregorian leap years), no leap second, and within years 0000–9999 once converted to UTC.
  dateRe = "([0-9]{4})-([0-9]{2})-([0-9]{2})";
  timeRe = "([0-9]{2}):([0-9]{2}):([0-9]{2})(\\.[0-9]+)?([Zz]|([+-])([0-9]{2}):([0-9]{2}))";
  # Decimal digits to an int (fromJSON refuses leading zeros).
  digits = s: builtins.fromJSON (builtins.head (match "0*([0-9]+)" s));
  mod = a: b: a - (builtins.div a b) * b;
  isLeap = y: mod y 4 == 0 && (mod y 100 != 0 || mod y 400 == 0);
  daysIn = y: m: builtins.elemAt [ 31 (if isLeap y then 29 else 28) 31 30 31 30 31 31 30 31 30 31 ] (m - 1);
  # null when `s` is a valid date, else why not (for the message).
  dateProblem = s:
    let
      plain = match dateRe s;
      full = match "${dateRe}[Tt ]${timeRe}" s;
      parts = if full != null then full else plain;
      raw = builtins.elemAt parts;
      num = i: digits (raw i);
      year = num 0; month = num 1; day = num 2;
      hour = num 3; minute = num 4; second = num 5;
      sign = raw 8;
      offset = if full == null || sign == null then 0 else (if sign == "-" then -1 else 1) * (num 9 * 60 + num 10);
      utcMinutes = hour * 60 + minute - offset;
    in
    if s == "now" then null
    else if parts == null then "not of that form"
    else if month < 1 || month > 12 then "there is no month ${raw 1}"
    else if day < 1 || day > daysIn year month then "${raw 0}-${raw 1} has ${toString (daysIn year month)} days"
    else if full == null then null
    else if hour > 23 || minute > 59 then "there is no time ${raw 3}:${raw 4}"
    else if second > 59 then "no leap second: seconds go up to 59"
    else if sign != null && (num 9 > 23 || num 10 > 59) then "the offset ${raw 7} is out of range"
    else if year == 9999 && month == 12 && day == 31 && utcMinutes >= 1440
      || year == 0 && month == 1 && day == 1 && utcMinutes < 0 then "it is outside the years 0000–9999 in UTC"
    else null;

  # The archive's file name extension for each compressor (buildLayeredImage, buildImage).
  extensions = { gz = ".tar.gz"; zstd = ".tar.zst"; none = ".tar"; };

  # `compressor` of buildLayeredImage / buildImage, with nixpkgs' wording (api.md §8 row 3).
  compressor = name: compressor:
    if elem compressor (builtins.attrNames extensions) then compressor
    else fail name "compressor must be one of: [gz none zstd]";
in
{
  # `name`: a non-empty string that Docker accepts as a repository once lower-cased, short
  # enough that `longest baseName`, the longest store path name the builder makes from it,
  # fits Nix's limit on store path names (211 characters), which Nix reports with no hint.
  name = longest: name: imageName:
    let
      baseName = builtins.baseNameOf name;
      overhead = stringLength (longest "");
    in
    if !isString name then throw "streamLayeredImage: the name argument must be a string, got a ${builtins.typeOf name}"
    else if name == "" then throw "streamLayeredImage: the name argument must not be empty"
    else if !validReference imageName then
      fail name "the name '${imageName}' (lower-cased) is not a valid Docker repository name; use lower-case letters, digits and the separators '.', '_', '__', '-' between them, '/' between path components, and optionally a registry host such as 'registry.example.com/' or 'localhost:5000/' in front"
    else if stringLength baseName + overhead > 211 then
      fail name "the name's last part is ${toString (stringLength baseName)} characters long, so the store path name '${longest "<name>"}' would exceed Nix's limit of 211 characters; shorten the text after the last '/' to at most ${toString (211 - overhead)} characters"
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
    let problem = if isString value then dateProblem value else "not a string"; in
    if problem == null then value
    else fail name "the ${argument} argument must be \"now\", a date such as \"2024-01-31\" or an RFC 3339 date-time such as \"2024-01-31T12:00:00Z\" or \"2024-01-31T12:00:00+01:00\", got ${builtins.toJSON value} (${problem})";

  # `uid` / `gid`: what tar and Docker store, 0 to 2^32−2 (2^32−1 is the kernel's "no id";
  # larger ones would be truncated, making the files root-owned).
  id = argument: name: value:
    if isInt value && value >= 0 && value <= 4294967294 then value
    else fail name "the ${argument} argument must be an integer from 0 to 4294967294, got ${if builtins.isFloat value then "the float " else ""}${builtins.toJSON value}";

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

  # `config`: an attribute set (or null) whose fields have the JSON types Docker's image
  # config (moby container.Config, OCI image-spec config) gives them; Docker's JSON decoder
  # matches field names case-insensitively, and a wrong type only fails at `docker load` or
  # `docker run`. Unknown fields pass (Docker ignores them); null is always fine.
  config = name: config:
    let
      # What toJSON writes as a string: strings, paths, derivations.
      stringLike = v: isString v || builtins.isPath v || (builtins.isAttrs v && v ? outPath);
      stringList = v: builtins.isList v && builtins.all stringLike v;
      emptySets = v: builtins.isAttrs v && builtins.all (x: x == { }) (builtins.attrValues v);
      # NAME=value; Docker refuses an empty NAME when the container starts.
      envList = v: stringList v && builtins.all (e: match "[^=]+=.*" "${e}" != null) v;
      healthInts = [ "interval" "timeout" "startperiod" "startinterval" "retries" ];
      healthcheck = v: builtins.isAttrs v && builtins.all (k:
        let x = v.${k}; key = lower k; in
        x == null || (if key == "test" then stringList x else if elem key healthInts then isInt x else true)) (builtins.attrNames v);
      bools = [ "attachstdin" "attachstdout" "attachstderr" "tty" "openstdin" "stdinonce" "argsescaped" "networkdisabled" ];
      strings = [ "hostname" "domainname" "user" "image" "workingdir" "macaddress" "stopsignal" ];
      lists = [ "cmd" "entrypoint" "shell" "onbuild" ];
      ints = [ "memory" "memoryswap" "cpushares" ];
      # Per lower-cased field: whether a value is right, and what to write instead.
      rule = key:
        if elem key lists then { ok = stringList; want = "a list of strings"; example = "[ \"/bin/app\" \"--flag\" ]"; }
        else if key == "env" then { ok = envList; want = "a list of strings of the form NAME=value with a non-empty NAME"; example = "[ \"PATH=/bin\" ]"; }
        else if elem key strings then { ok = stringLike; want = "a string"; }
        else if elem key bools then { ok = builtins.isBool; want = "true or false"; }
        else if key == "stoptimeout" then { ok = isInt; want = "an integer (seconds)"; }
        else if elem key ints then { ok = isInt; want = "an integer"; }
        else if key == "labels" then { ok = v: builtins.isAttrs v && builtins.all stringLike (builtins.attrValues v); want = "an attribute set of strings"; example = "{ \"org.opencontainers.image.title\" = \"app\"; }"; }
        else if key == "exposedports" then { ok = emptySets; want = "an attribute set of empty sets"; example = "{ \"8080/tcp\" = { }; }"; }
        else if key == "volumes" then { ok = emptySets; want = "an attribute set of empty sets"; example = "{ \"/data\" = { }; }"; }
        else if key == "healthcheck" then { ok = healthcheck; want = "a set with Test (a list of strings) and Interval, Timeout, StartPeriod, StartInterval (nanoseconds) and Retries as integers"; example = "{ Test = [ \"CMD\" \"/bin/check\" ]; Interval = 30000000000; }"; }
        else { ok = _: true; };
      field = key:
        let value = config.${key}; r = rule (lower key); in
        if value == null || r.ok value then true
        else fail name "config.${key} must be ${r.want}, got ${builtins.toJSON value}${if r ? example then "; write e.g. ${key} = ${r.example};" else ""}";
    in
    if config == null then config
    else if !builtins.isAttrs config then fail name "the config argument must be an attribute set (or null), got a ${builtins.typeOf config}"
    # field fails on a bad field itself; forcing them all is the check.
    else builtins.seq (builtins.all field (builtins.attrNames config)) config;

  # `layeringPipeline` given as a list: the shape of every step, with the builder's wording
  # (src/layering/pipeline.ts), so a typo fails at evaluation, not in the conf build
  # (layering.md §7.7). What the steps do to the graph is still checked by the builder.
  pipeline = name: pipeline:
    let
      inherit (builtins) all elemAt genList head isList length tail toJSON;
      arity = {
        popularity_contest = 0; flatten = 0; reverse = 0; limit_layers = 1; split_every = 1; over = 2;
        map = 1; pipe = 1; remove_paths = 1; subcomponent_in = 1; subcomponent_out = 1; split_paths = 1;
      };
      bad = where: what: fail name "layeringPipeline ${where}: ${what}";
      pathLike = v: isString v || builtins.isPath v || (builtins.isAttrs v && v ? outPath);
      pathList = v: isList v && all pathLike v;
      integral = v: isInt v || (builtins.isFloat v && builtins.floor v == v);
      spec = v: pathLike v || (builtins.isAttrs v && builtins.attrNames v == [ "children_of" ] && (pathLike v.children_of || pathList v.children_of));
      steps = prefix: list: all (i: step "${prefix}${toString (i + 1)}" (elemAt list i)) (genList (i: i) (length list));
      step = index: s:
        let op = head s; args = tail s; arg = elemAt args; where = "step ${index} (${op})"; count = length args; in
        if !isList s || s == [ ] || !isString (head s) then
          bad "step ${index}" "a step must be a list starting with an operation name, e.g. [ \"limit_layers\" 20 ]; got ${toJSON s}"
        else if !(arity ? ${op}) then bad where "unknown operation; expected one of ${builtins.concatStringsSep ", " (builtins.attrNames arity)}"
        else if count != arity.${op} then bad where "takes ${toString arity.${op}} argument${if arity.${op} == 1 then "" else "s"}, got ${toString count}"
        else if op == "limit_layers" || op == "split_every" then
          (if !integral (arg 0) then bad where "n must be an integer, got ${toJSON (arg 0)}"
           else if arg 0 <= 0 then bad where "n must be > 0, got ${toJSON (arg 0)}" else true)
        else if op == "over" then
          (if !isString (arg 0) then bad where "the key must be a string such as \"main\" or \"rest\", got ${toJSON (arg 0)}" else step "${index}.1" (arg 1))
        else if op == "map" then step "${index}.1" (arg 0)
        else if op == "pipe" then (if !isList (arg 0) then bad where "expects a list of steps, got ${toJSON (arg 0)}" else steps "${index}." (arg 0))
        else if op == "remove_paths" && !(pathLike (arg 0) || pathList (arg 0)) then bad where "the argument must be a list of store paths, got ${toJSON (arg 0)}"
        else if (op == "subcomponent_in" || op == "subcomponent_out") && !pathList (arg 0) then bad where "the argument must be a list of store paths, got ${toJSON (arg 0)}"
        else if op == "split_paths" && !(isList (arg 0) && all spec (arg 0)) then
          bad where "expects a list of specs (store paths or { children_of = path-or-paths; }), got ${toJSON (arg 0)}"
        else true;
    in
    if pipeline == null || pathLike pipeline then pipeline
    else if !isList pipeline then
      fail name "the layeringPipeline argument must be a list of steps such as [ [ \"popularity_contest\" ] [ \"limit_layers\" 100 ] ], or a path or derivation of such a JSON file, got ${toJSON pipeline}"
    else builtins.seq (steps "" pipeline) pipeline;

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

  # `variant` (extension): null, or a CPU variant as OCI platforms name them ("v8" for arm64,
  # "v6"/"v7" for arm, "v2"…"v4" for amd64); a `/` would break "os/arch/variant" platform strings.
  variant = name: variant:
    if variant == null || (isString variant && stringLength variant <= 32 && match "[A-Za-z0-9]+([._-][A-Za-z0-9]+)*" variant != null) then variant
    else fail name "the variant argument must be null or a CPU variant such as \"v8\" (arm64) or \"v7\" (arm): letters and digits, '.', '_' or '-' between them, at most 32 characters; got ${builtins.toJSON variant}";

  # `annotations` (extension): OCI manifest annotations, an attrset of strings (not config Labels).
  annotations = name: value:
    if builtins.isAttrs value && builtins.all (key: isString value.${key}) (builtins.attrNames value) then value
    else fail name "the annotations argument must be an attribute set of strings, e.g. { \"org.opencontainers.image.source\" = \"https://example.org/app\"; }, got ${if builtins.isAttrs value then "an attribute set with a value that is not a string" else "a value of type ${builtins.typeOf value}"}";

  # Strings the builder writes as given: `architecture` (non-empty), `uname`, `gname`.
  string = argument: name: value:
    if isString value && (argument != "architecture" || value != "") then value
    else fail name "the ${argument} argument must be a ${if argument == "architecture" then "non-empty " else ""}string, got ${builtins.toJSON value}";

  # `fromImage`: a docker-archive file, i.e. a path or derivation (or a store path string), not
  # an image reference such as "alpine:3.20", which would only fail at build with ENOENT.
  fromImage = name: image:
    if image == null || builtins.isPath image || (builtins.isAttrs image && image ? outPath)
      || (isString image && match "/.*" image != null) then image
    else fail name "fromImage must be a docker-archive file (a path, or a derivation such as a buildLayeredImage or pullImage result), got ${builtins.toJSON image}; to build on a registry image, fetch it with pullImage { imageName = ...; imageDigest = ...; hash = ...; }";

  # A `contents`/`copyToRoot` element: a directory given as a path or derivation (or an
  # absolute path string); interpolated, which copies a path literal into the store.
  contents = name: element:
    if builtins.isPath element || (builtins.isAttrs element && element ? outPath) || (isString element && match "/.*" element != null) then "${element}"
    else fail name "each contents/copyToRoot element must be a directory given as a path or derivation (e.g. pkgs.hello or ./root), got ${builtins.toJSON element}";

  # Shell commands (`extraCommands`, `fakeRootCommands`, `runAsRoot`): a string, or null for runAsRoot.
  commands = argument: name: value:
    if isString value || (argument == "runAsRoot" && value == null) then value
    else fail name "the ${argument} argument must be a string of shell commands${if argument == "runAsRoot" then " (or null)" else ""}, got a value of type ${builtins.typeOf value}";

  # `layers`: buildLayer results (nix/build-layer.nix marks them), as their output paths.
  layers = name: value:
    if builtins.isList value && builtins.all (l: builtins.isAttrs l && (l.isNixStrataLayer or false)) value then map (l: "${l}") value
    else fail name "the layers argument must be a list of buildLayer results, e.g. [ (nix-strata.buildLayer { deps = [ pkgs.glibc ]; }) ], got ${if builtins.isList value then "a list with an element that is not one" else "a value of type ${builtins.typeOf value}"}";

  # Booleans, so a typo such as `includeStorePaths = "false"` does not silently mean true.
  bool = argument: name: value:
    if builtins.isBool value then value
    else fail name "the ${argument} argument must be true or false, got ${builtins.toJSON value}";
}
