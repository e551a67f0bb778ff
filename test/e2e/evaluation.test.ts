// Evaluation-time behaviour of nix/default.nix (api.md §2, §4, §8): argument checks with clear
// messages, the closed argument set, names of outputs, passthru and override. Needs Nix only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evalFailure, evalJson, repoRoot } from './harness.ts';

const host = `(import ${repoRoot}/test/nix/host.nix { })`;
const stream = (args: string) => `(${host}.streamLayeredImage { ${args} })`;
const build = (args: string) => `(${host}.buildLayeredImage { ${args} })`;

// Instantiating forces the whole spec, as a build would.
async function expectError(expression: string, message: RegExp): Promise<void> {
  const { stderr } = await evalFailure(expression);
  assert.match(stderr, message);
}

describe('evaluation errors (api.md §8)', () => {
  it('maxLayers must be greater than 1 without a pipeline (row 1)', async () => {
    await expectError(stream('name = "app"; maxLayers = 1;'),
      /in docker image app: the maxLayers argument of dockerTools\.buildLayeredImage function must be greater than 1 \(current value: 1\)/);
  });

  it('maxLayers must be an integer of at most 125, Docker\'s layer limit', async () => {
    await expectError(stream('name = "app"; maxLayers = 0;'), /must be greater than 1 \(current value: 0\)/);
    await expectError(stream('name = "app"; maxLayers = 126;'), /in docker image app: the maxLayers argument must be at most 125, Docker's layer limit \(current value: 126\)/);
    await expectError(stream('name = "app"; maxLayers = 2.5;'), /in docker image app: the maxLayers argument must be an integer, got 2\.5/);
    const drv = await evalJson(`${stream('name = "app"; maxLayers = 125;')}.conf.drvPath`);
    assert.match(String(drv), /-app-customisation-layer\.drv$/);
  });

  it('config must be an attribute set whose Cmd, Entrypoint and Env are lists of strings', async () => {
    await expectError(stream('name = "app"; config = "Cmd";'), /in docker image app: the config argument must be an attribute set \(or null\), got a string/);
    await expectError(stream('name = "app"; config.Cmd = "/bin/app";'), /in docker image app: config\.Cmd must be a list of strings, got "\/bin\/app"/);
    await expectError(stream('name = "app"; config.Entrypoint = [ 1 ];'), /config\.Entrypoint must be a list of strings, got \[1\]/);
    await expectError(stream('name = "app"; config.Env = { A = "1"; };'), /config\.Env must be a list of strings/);
    const drv = await evalJson(`${stream('name = "app"; config = { Cmd = [ "/bin/app" ]; Env = [ "A=1" ]; Labels.x = "y"; };')}.conf.drvPath`);
    assert.match(String(drv), /-app-customisation-layer\.drv$/);
  });

  it('buildImage checks config the same way', async () => {
    await expectError(`(${host}.buildImage { name = "app"; config.Cmd = "/bin/app"; })`,
      /in docker image app: config\.Cmd must be a list of strings, got "\/bin\/app"/);
  });

  it('maxLayers is not checked when a pipeline decides the layers', async () => {
    const drv = await evalJson(`${stream('name = "app"; maxLayers = 1; layeringPipeline = [ [ "popularity_contest" ] ];')}.conf.drvPath`);
    assert.match(String(drv), /-app-customisation-layer\.drv$/);
  });

  it('enableFakechroot fails on Darwin, pointing at NixOS/nixpkgs#327311 (row 2)', async () => {
    const darwin = `(let h = ${host}; in import ${repoRoot}/nix {
      pkgs = h.pkgs // { stdenv = h.pkgs.stdenv // { hostPlatform = { system = "aarch64-darwin"; isDarwin = true; }; }; };
      inherit (h) nix-strata; })`;
    await expectError(`${darwin}.streamLayeredImage { name = "app"; enableFakechroot = true; }`,
      /in docker image app: enableFakechroot is not supported when building on Darwin: proot.*327311/);
  });

  it('compressor must be gz, none or zstd, in nixpkgs\' words (row 3)', async () => {
    await expectError(build('name = "My/App"; compressor = "bzip2";'), /in docker image My\/App: compressor must be one of: \[gz none zstd\]/);
  });

  it('an unknown argument is named (row 5)', async () => {
    await expectError(stream('name = "app"; runAsRoot = "true";'), /called with unexpected argument 'runAsRoot'/);
    await expectError(build('name = "app"; diskSize = 1024;'), /called with unexpected argument 'diskSize'/);
  });

  it('name is required (row 5)', async () => {
    await expectError(stream('tag = "x";'), /called without required argument 'name'/);
  });

  it('layeringStrategy must be popularity or auto', async () => {
    await expectError(stream('name = "app"; layeringStrategy = "size";'), /in docker image app: the layeringStrategy argument must be one of: \[auto popularity\], got "size"/);
  });

  it('created and mtime must be RFC 3339, a date or "now" (row 8, at evaluation)', async () => {
    await expectError(stream('name = "app"; created = "yesterday";'), /in docker image app: the created argument must be "now", a date/);
    await expectError(stream('name = "app"; mtime = "2024-13-01";'), /in docker image app: the mtime argument must be/);
    await expectError(stream('name = "app"; created = "@1700000000";'), /the created argument must be/);
  });

  it('accepts the date forms of api.md §2.2', async () => {
    const forms = ['now', '2024-01-31', '2024-01-31T12:00:00Z', '2024-01-31T12:00:00.123+01:00', '2024-01-31T12:00:00-05:30'];
    for (const date of forms) {
      const spec = await evalJson(`${stream(`name = "app"; created = "${date}"; mtime = "${date}";`)}.conf.spec`) as { created: string };
      assert.equal(spec.created, date);
    }
  });

  it('dates are checked exactly: days of the month, leap years, no leap second, years 0000–9999 in UTC', async () => {
    await expectError(stream('name = "app"; created = "2023-02-29";'), /the created argument must be .*got "2023-02-29" \(2023-02 has 28 days\)/);
    await expectError(stream('name = "app"; mtime = "2023-02-30T00:00:00Z";'), /the mtime argument must be .*\(2023-02 has 28 days\)/);
    await expectError(stream('name = "app"; created = "1900-02-29";'), /\(1900-02 has 28 days\)/);
    await expectError(stream('name = "app"; created = "2024-04-31";'), /\(2024-04 has 30 days\)/);
    await expectError(stream('name = "app"; created = "2016-12-31T23:59:60Z";'), /\(no leap second: seconds go up to 59\)/);
    await expectError(stream('name = "app"; created = "9999-12-31T23:30:00-01:00";'), /\(it is outside the years 0000–9999 in UTC\)/);
    await expectError(`(${host}.buildImage { name = "app"; created = "2023-02-29"; })`, /in docker image app: the created argument must be .*\(2023-02 has 28 days\)/);
    for (const date of ['2024-02-29', '2000-02-29', '0001-01-01T00:00:00Z', '0099-12-31']) {
      const spec = await evalJson(`${stream(`name = "app"; created = "${date}";`)}.conf.spec`) as { created: string };
      assert.equal(spec.created, date);
    }
  });

  it('uid and gid must be integers from 0 to 2^32−2, in every builder that takes them', async () => {
    for (const [argument, value] of [['uid', '4294967295'], ['gid', '4294967296'], ['uid', '9223372036854775807'], ['gid', '-1']] as const) {
      const message = new RegExp(`in docker image app: the ${argument} argument must be an integer from 0 to 4294967294, got ${value}`);
      await expectError(stream(`name = "app"; ${argument} = ${value};`), message);
      await expectError(build(`name = "app"; ${argument} = ${value};`), message);
      await expectError(`(${host}.buildImage { name = "app"; ${argument} = ${value}; })`, message);
    }
    await expectError(stream('name = "app"; uid = 1.0;'), /the uid argument must be an integer from 0 to 4294967294, got the float 1/);
    const spec = await evalJson(`${stream('name = "app"; uid = 4294967294; gid = 0;')}.conf.spec`) as { uid: number };
    assert.equal(spec.uid, 4294967294);
  });

  it('a name too long for Nix\'s 211-character store names is refused, naming the longest derivation', async () => {
    // Without commands the longest is the conf output of <name>-customisation-layer.
    const ok = 'n'.repeat(186);
    const drv = await evalJson(`${stream(`name = "team/${ok}";`)}.conf.outPath`);
    assert.match(String(drv), new RegExp(`-${ok}-customisation-layer-conf$`));
    await expectError(stream(`name = "team/${ok}x";`),
      /in docker image team\/n+x: the name's last part is 187 characters long, so the store path name '<name>-customisation-layer-conf' would exceed Nix's limit of 211 characters; shorten the text after the last '\/' to at most 186 characters/);
    // With commands the layer is its own derivation, <name>-customisation-layer.drv.
    const layer = await evalJson(`${stream(`name = "${'n'.repeat(187)}"; extraCommands = "true";`)}.conf.drvPath`);
    assert.match(String(layer), /-conf\.json\.drv$/);
    await expectError(stream(`name = "${'n'.repeat(188)}"; extraCommands = "true";`), /store path name '<name>-customisation-layer\.drv' would exceed .* at most 187 characters/);
    // buildImage's longest is docker-image-<name>.tar.zst.drv with compressor zstd.
    await expectError(`(${host}.buildImage { name = "${'n'.repeat(187)}"; compressor = "zstd"; })`, /store path name 'docker-image-<name>\.tar\.zst\.drv' would exceed .* at most 186 characters/);
    const image = await evalJson(`(${host}.buildImage { name = "${'n'.repeat(186)}"; compressor = "zstd"; }).drvPath`);
    assert.match(String(image), /\.tar\.zst\.drv$/);
  });

  it('config fields have the types Docker\'s image config gives them', async () => {
    const cases: Array<[string, RegExp]> = [
      ['Env = [ "=" ];', /config\.Env must be a list of strings of the form NAME=value with a non-empty NAME/],
      ['Env = [ "NOVALUE" ];', /config\.Env must be a list of strings of the form NAME=value/],
      ['Labels.a.b = "c";', /config\.Labels must be an attribute set of strings/],
      ['StopTimeout = 1.5;', /config\.StopTimeout must be an integer \(seconds\), got 1\.5/],
      ['ExposedPorts = [ "80/tcp" ];', /config\.ExposedPorts must be an attribute set of empty sets, got \["80\/tcp"\]; write e\.g\. ExposedPorts = \{ "8080\/tcp" = \{ \}; \};/],
      ['ExposedPorts."80/tcp" = true;', /config\.ExposedPorts must be an attribute set of empty sets/],
      ['Volumes."/data" = "x";', /config\.Volumes must be an attribute set of empty sets/],
      ['Healthcheck = { Test = "curl x"; };', /config\.Healthcheck must be a set with Test \(a list of strings\)/],
      ['Healthcheck = { Test = [ "CMD" "x" ]; Interval = "30s"; };', /config\.Healthcheck must be .*Interval/],
      ['User = 1000;', /config\.User must be a string, got 1000/],
      ['WorkingDir = [ "/app" ];', /config\.WorkingDir must be a string/],
      ['Tty = "yes";', /config\.Tty must be true or false, got "yes"/],
      ['OnBuild = "RUN x";', /config\.OnBuild must be a list of strings/],
      // Docker matches field names case-insensitively, so does the check.
      ['cmd = "/bin/app";', /config\.cmd must be a list of strings/],
    ];
    for (const [field, message] of cases) await expectError(stream(`name = "app"; config = { ${field} };`), message);
    await expectError(`(${host}.buildImage { name = "app"; config.StopTimeout = 1.5; })`, /in docker image app: config\.StopTimeout must be an integer/);
    const drv = await evalJson(`${stream(`name = "app"; config = {
      Env = [ "A=1" "B=" "C=x=y" ]; Labels."org.example" = "y"; ExposedPorts."80/tcp" = { }; Volumes."/data" = { };
      StopTimeout = 10; StopSignal = "SIGTERM"; User = "1000:1000"; WorkingDir = "/"; ArgsEscaped = false; Tty = null;
      Healthcheck = { Test = [ "CMD" "/bin/check" ]; Interval = 30000000000; Retries = 3; }; Unknown.anything = 1; };`)}.conf.drvPath`);
    assert.match(String(drv), /-app-customisation-layer\.drv$/);
  });

  it('architecture, uname and gname must be strings (the builder would refuse them at build)', async () => {
    await expectError(stream('name = "app"; architecture = 1;'), /in docker image app: the architecture argument must be a non-empty string, got 1/);
    await expectError(stream('name = "app"; architecture = "";'), /the architecture argument must be a non-empty string, got ""/);
    await expectError(stream('name = "app"; uname = 0;'), /in docker image app: the uname argument must be a string, got 0/);
    await expectError(build('name = "app"; gname = null;'), /in docker image app: the gname argument must be a string, got null/);
    await expectError(`(${host}.buildImage { name = "app"; architecture = null; })`, /in docker image app: the architecture argument must be a non-empty string, got null/);
  });

  it('a layeringPipeline list is checked step by step at evaluation, with the builder\'s wording (layering.md §7.7)', async () => {
    const cases: Array<[string, RegExp]> = [
      ['[ [ "popularity_contest" ] [ "limit_layers" 0 ] ]', /in docker image app: layeringPipeline step 2 \(limit_layers\): n must be > 0, got 0/],
      ['[ [ "popularity" ] ]', /layeringPipeline step 1 \(popularity\): unknown operation; expected one of flatten, limit_layers/],
      ['[ [ "reverse" 1 ] ]', /layeringPipeline step 1 \(reverse\): takes 0 arguments, got 1/],
      ['[ "limit_layers" ]', /layeringPipeline step 1: a step must be a list starting with an operation name/],
      ['[ [ "over" "rest" [ "pipe" [ [ "popularity_contest" ] [ "split_every" 2.5 ] ] ] ] ]', /layeringPipeline step 1\.1\.2 \(split_every\): n must be an integer, got 2\.5/],
      ['[ [ "subcomponent_out" "/nix/store/x" ] ]', /layeringPipeline step 1 \(subcomponent_out\): the argument must be a list of store paths/],
      ['[ [ "split_paths" [ { children = "/x"; } ] ] ]', /layeringPipeline step 1 \(split_paths\): expects a list of specs/],
      ['{ steps = [ ]; }', /the layeringPipeline argument must be a list of steps .*, or a path or derivation of such a JSON file/],
    ];
    for (const [pipeline, message] of cases) await expectError(stream(`name = "app"; layeringPipeline = ${pipeline};`), message);
    const spec = await evalJson(`${stream(`name = "app"; layeringPipeline = [ [ "split_paths" [ "/nix/store/a" { children_of = [ "/nix/store/b" ]; } ] ]
      [ "over" "main" [ "map" [ "remove_paths" "/nix/store/c" ] ] ] [ "over" "rest" [ "pipe" [ [ "popularity_contest" ] [ "limit_layers" 3 ] ] ] ] ];`)}.conf.spec`) as { layeringPipeline: unknown[] };
    assert.equal(spec.layeringPipeline.length, 3);
  });

  it('fromImage must be an archive, not an image reference, in every builder that takes it', async () => {
    const message = /in docker image app: fromImage must be a docker-archive file \(a path, or a derivation such as a buildLayeredImage or pullImage result\), got "alpine:3\.20"; to build on a registry image, fetch it with pullImage/;
    await expectError(stream('name = "app"; fromImage = "alpine:3.20";'), message);
    await expectError(`(${host}.buildImage { name = "app"; fromImage = "alpine:3.20"; })`, message);
    await expectError(`(${host}.exportImage { name = "app"; fromImage = "alpine:3.20"; })`, message);
  });

  it('contents/copyToRoot elements are paths or derivations, and buildImage copies a path literal into the store', async () => {
    await expectError(stream('name = "app"; contents = [ "hello" ];'), /in docker image app: each contents\/copyToRoot element must be a directory given as a path or derivation \(e\.g\. pkgs\.hello or \.\/root\), got "hello"/);
    await expectError(`(${host}.buildImage { name = "app"; copyToRoot = [ 1 ]; })`, /each contents\/copyToRoot element must be .*, got 1/);
    // toString would pass the source path itself, which a sandboxed build cannot read.
    const contents = await evalJson(`(${host}.buildImage { name = "app"; copyToRoot = ${repoRoot}/test/e2e/test-dummy; }).layer.drvAttrs.contents`) as string[];
    assert.match(contents[0]!, /^\/nix\/store\/[0-9a-z]{32}-test-dummy$/);
  });

  it('extraCommands, fakeRootCommands and runAsRoot must be strings (runAsRoot may be null)', async () => {
    await expectError(stream('name = "app"; extraCommands = [ "touch x" ];'), /in docker image app: the extraCommands argument must be a string of shell commands, got a value of type list/);
    await expectError(stream('name = "app"; fakeRootCommands = null;'), /the fakeRootCommands argument must be a string of shell commands, got a value of type null/);
    await expectError(`(${host}.buildImage { name = "app"; runAsRoot = 1; })`, /the runAsRoot argument must be a string of shell commands \(or null\), got a value of type int/);
    await expectError(`(${host}.buildImage { name = "app"; extraCommands = null; })`, /the extraCommands argument must be a string of shell commands/);
  });

  it('a tag must follow Docker\'s grammar (row 15)', async () => {
    await expectError(stream('name = "app"; tag = "-bad";'), /in docker image app: the tag '-bad' is not a valid Docker tag/);
    await expectError(stream('name = "app"; tag = "a$b";'), /the tag 'a\$b' is not a valid Docker tag/);
    await expectError(stream(`name = "app"; tag = "${'x'.repeat(129)}";`), /is not a valid Docker tag/);
  });

  it('a name must be a valid reference once lower-cased (row 15)', async () => {
    await expectError(stream('name = "";'), /the name argument must not be empty/);
    await expectError(stream('name = "app:1.0";'), /the name 'app:1\.0' \(lower-cased\) is not a valid Docker repository name/);
    await expectError(stream('name = "team//app";'), /is not a valid Docker repository name/);
  });
});

describe('names and results (api.md §1, §4)', () => {
  it('lower-cases imageName and uses baseNameOf name in derivation names', async () => {
    const result = await evalJson(`let i = ${build('name = "Registry.Example.com:5000/Team/App";')}; in {
      inherit (i) name imageName;
      stream = i.stream.name; conf = i.stream.conf.name; confOutput = i.stream.conf.outputName; isExe = i.stream.isExe;
    }`);
    assert.deepEqual(result, {
      name: 'App.tar.gz',
      imageName: 'registry.example.com:5000/team/app',
      stream: 'stream-App',
      // No commands: one derivation builds the customisation layer (out) and the conf.
      conf: 'App-customisation-layer',
      confOutput: 'conf',
      isExe: true,
    });
  });

  it('derives imageTag from the conf output path when tag is null', async () => {
    const result = await evalJson(`let i = ${stream('name = "app";')}; in { inherit (i) imageTag; conf = i.conf.outPath; }`) as { imageTag: string; conf: string };
    assert.equal(result.conf.slice('/nix/store/'.length, '/nix/store/'.length + 32), result.imageTag);
  });

  it('names archives by compressor', async () => {
    const names = await evalJson(`map (c: (${host}.buildLayeredImage { name = "x/app"; compressor = c; }).name) [ "gz" "zstd" "none" ]`);
    assert.deepEqual(names, ['app.tar.gz', 'app.tar.zst', 'app.tar']);
  });

  it('merges user passthru under the built-in keys and keeps meta', async () => {
    const result = await evalJson(`let i = ${stream('name = "app"; tag = "t"; passthru = { imageTag = "mine"; extra = 1; }; meta.description = "d";')}; in {
      inherit (i) imageTag extra isExe; description = i.meta.description; }`);
    assert.deepEqual(result, { imageTag: 't', extra: 1, isExe: true, description: 'd' });
  });

  it('gives buildLayeredImage meta to the archive only, and user passthru to the stream only', async () => {
    const result = await evalJson(`let i = ${build('name = "app"; meta.description = "d"; passthru.extra = 1;')}; in {
      archiveMeta = i.meta; streamMeta = i.stream.meta; streamExtra = i.stream.extra; archiveHasExtra = i ? extra; }`);
    assert.deepEqual(result, { archiveMeta: { description: 'd' }, streamMeta: {}, streamExtra: 1, archiveHasExtra: false });
  });

  it('supports .override on both functions', async () => {
    const result = await evalJson(`let s = ${stream('name = "app"; tag = "one";')}; b = ${build('name = "app";')}; in {
      stream = (s.override { tag = "two"; }).imageTag;
      archive = (b.override (old: { compressor = "zstd"; })).name; }`);
    assert.deepEqual(result, { stream: 'two', archive: 'app.tar.zst' });
  });

  it('keeps debug out of the tag', async () => {
    const tags = await evalJson(`map (d: (${stream('name = "app";')}.override { debug = d; }).imageTag) [ false true ]`) as string[];
    assert.equal(tags[0], tags[1]);
  });

  it('defaults architecture to the host\'s Go name and writes it into the base config', async () => {
    const spec = await evalJson(`${stream('name = "app";')}.conf.spec`) as { architecture: string; storeDir: string; version: number };
    assert.equal(spec.architecture, ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch);
    assert.equal(spec.version, 1);
    assert.equal(spec.storeDir, '/nix/store');
  });
});
