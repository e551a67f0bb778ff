// streamNixShellImage / buildNixShellImage as nixpkgs documents them
// (doc/build-helpers/images/dockertools.section.md): an image whose shell is set up like
// `nix-shell` on `drv`. Without nixpkgs, `drv` is the stand-in test/nix/stand-ins.nix
// `shellDrv` (a busybox builder, a stand-in stdenv whose `setup` defines runHook, attributes of
// every kind, two outputs, passAsFile, a shellHook). Not testable here: nixpkgs' real stdenv
// (its phases through `buildDerivation`, the genericBuild of a real package), bashInteractive's
// line editing, and network access from the container (the tests run with --network none).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Docker, buildExpression, evalFailure, evalJson, repoRoot, sandboxed } from './harness.ts';

const parity = `(import ${repoRoot}/test/e2e/parity.nix { })`;

describe('streamNixShellImage / buildNixShellImage', () => {
  const docker = new Docker();
  let run: string;
  let command: string;
  before(async () => {
    const [stream, archive] = (await buildExpression(`with ${parity}; [ nix-shell-run nix-shell-command ]`, sandboxed)).split('\n') as [string, string];
    run = await docker.load(stream, 'stream');
    command = await docker.load(archive);
  });
  after(() => docker.cleanup());

  it('names the image drv.name + "-env", the archive <drv.name>-env.tar.gz, with the given tags', async () => {
    assert.equal(run, 'shell-demo-1.0-env:run');
    assert.equal(command, 'shell-demo-1.0-env:command');
    assert.deepEqual(await evalJson(`with ${parity}; [ nix-shell-command.name nix-shell-command.imageName nix-shell-run.imageTag ]`), ['shell-demo-1.0-env.tar.gz', 'shell-demo-1.0-env', 'run']);
  });

  it('with run: a non-interactive shell sources $stdenv/setup, runs the shellHook and the commands, and buildDerivation builds both outputs into /nix/store', async () => {
    const lines = (await docker.run(run)).split('\n');
    assert.deepEqual(lines.slice(0, 4), [
      'shellHook ran',
      'greeting=hello from the drv words=one two 3 yes=[1] no=[] setup=yes',
      'longText=passed as a file',
      'id=1234:2345 user=nixbld home=/home/builder pwd=/build top=/build term=xterm-256color cores=1',
    ]);
    assert.doesNotMatch(lines[4]!, /^flags=.*i/, 'not interactive');
    assert.deepEqual(lines.slice(5), ['built hello from the drv', 'dev']);
  });

  it('with command: an interactive shell (--rcfile) runs it and exits', async () => {
    // Interactive needs a terminal: -t (without -i, so nothing waits on stdin).
    const lines = (await docker.run(command, [], ['-t'])).split(/\r?\n/).filter((line) => line !== '');
    assert.equal(lines[0], 'shellHook ran');
    assert.match(lines[1]!, /^flags=.*i/);
    assert.match(lines[2]!, /^shell=\/nix\/store\/[^/]+\/bin\/bash$/);
  });

  it('has nixpkgs\' config: User uid:gid, WorkingDir /build, Cmd shell --rcfile RC or shell RC, the Env of the derivation', async () => {
    const config = JSON.parse(await docker.inspect(run, '{{json .Config}}')) as { User: string; WorkingDir: string; Cmd: string[]; Env: string[] };
    assert.equal(config.User, '1234:2345');
    assert.equal(config.WorkingDir, '/build');
    assert.equal(config.Cmd.length, 2);
    assert.match(config.Cmd[0]!, /\/bin\/bash$/);
    assert.match(config.Cmd[1]!, /-nix-shell-rc$/);
    const commandCmd = (JSON.parse(await docker.inspect(command, '{{json .Config.Cmd}}')) as string[]);
    assert.equal(commandCmd[1], '--rcfile');
    const env = new Map(config.Env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
    for (const [name, value] of [['TMPDIR', '/build'], ['TEMPDIR', '/build'], ['TMP', '/build'], ['TEMP', '/build'], ['PWD', '/build'], ['NIX_BUILD_TOP', '/build'],
      ['NIX_STORE', '/nix/store'], ['NIX_BUILD_CORES', '1'], ['TERM', 'xterm-256color'], ['HOME', '/home/builder'], ['name', 'shell-demo-1.0'],
      ['outputs', 'out dev'], ['yes', '1'], ['no', ''], ['words', 'one two 3']] as const) {
      assert.equal(env.get(name), value, name);
    }
    assert.ok(!env.has('args'), 'args is left out');
    assert.ok(!env.has('longText') && /-pass-as-text-longText$/.test(env.get('longTextPath') ?? ''), 'passAsFile becomes <name>Path');
    assert.match(env.get('out')!, /^\/nix\/store\/[^/]+-shell-demo-1\.0$/);
    assert.match(env.get('dev')!, /^\/nix\/store\/[^/]+-shell-demo-1\.0-dev$/);
    assert.match(env.get('SSL_CERT_FILE')!, /-cacert\/etc\/ssl\/certs\/ca-bundle\.crt$/);
    assert.equal(env.get('NIX_SSL_CERT_FILE'), env.get('SSL_CERT_FILE'));
    assert.match(env.get('PATH')!, /^\/nix\/store\/[^/]+\/bin:\/nix\/store\/[^/]+-build-derivation\/bin$/);
  });

  it('has /bin/sh, /usr/bin/env and the nixbld user in /etc/passwd and /etc/group, as nixpkgs\' image', async () => {
    // The image's PATH has only the shell and buildDerivation: bash builtins read the files.
    const out = await docker.run(run, ['/bin/sh', '-c', 'test -x /usr/bin/env && for f in /etc/passwd /etc/group; do while IFS= read -r l; do [[ $l == nixbld* ]] && echo "$f:$l"; done < $f; done; true'], ['--entrypoint', '']);
    assert.equal(out, '/etc/passwd:nixbld:x:1234:2345:Build user:/home/builder:/noshell\n/etc/group:nixbld:!:2345:');
  });

  it('refuses command and run together, and a derivation with __structuredAttrs, at evaluation', async () => {
    const both = await evalFailure(`with ${parity}; nixStrata.streamNixShellImage { drv = host.standIns.shellDrv; command = "a"; run = "b"; }`);
    assert.match(both.stderr, /streamNixShellImage: Can't specify both command and run/);
    const structured = await evalFailure(`with ${parity}; nixStrata.streamNixShellImage { drv = derivation { name = "s"; system = "x"; builder = "/b"; __structuredAttrs = true; }; }`);
    assert.match(structured.stderr, /streamNixShellImage: Does not work with the derivation s because it uses __structuredAttrs/);
  });

  it('defaults as nixpkgs: uid:gid 1000:1000, home /build, the tag from the conf; .override takes new arguments', async () => {
    const [path] = (await buildExpression(`${parity}.nix-shell-default`, sandboxed)).split('\n') as [string];
    const reference = await docker.load(path, 'stream');
    assert.match(reference, /^shell-demo-1\.0-env:[0-9a-df-np-sv-z]{32}$/);
    const config = JSON.parse(await docker.inspect(reference, '{{json .Config}}')) as { User: string; Env: string[] };
    assert.equal(config.User, '1000:1000');
    assert.ok(config.Env.includes('HOME=/build'));
    assert.equal(await evalJson(`(${parity}.nix-shell-default.override { tag = "over"; }).imageTag`), 'over');
  });
});
