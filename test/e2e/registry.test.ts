// End to end against a real registry: Debian's docker-registry on 127.0.0.1, an image pushed
// into it with skopeo (gzip and zstd layers, plus an index made here), then pulled by digest
// with our own client, written by `nix-strata pull`, loaded by docker and flattened by
// `nix-strata export`. Only 127.0.0.1 is contacted.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import tar from 'tar-stream';
import { digestOf, hexOf, sha256Digest, type Digest } from '../../src/digest/digest.ts';
import { UserError } from '../../src/errors.ts';
import { decompressed } from '../../src/image/decompress.ts';
import { MEDIA_TYPES } from '../../src/registry/manifest.ts';
import { readDockerArchive } from '../../src/sources/docker-archive.ts';
import { pullImage } from '../../src/sources/registry.ts';
import { startLocalRegistry, type LocalRegistry } from './local-registry.ts';

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink'; content?: Buffer | string; linkname?: string; mode?: number };

async function tarOf(entries: readonly Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const header = { name: e.name, type: e.type ?? 'file', mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644), mtime: new Date(1000), uid: 0, gid: 0, ...(e.linkname ? { linkname: e.linkname } : {}) };
      const cb = (error?: Error | null) => (error ? reject(error) : resolve());
      if (header.type === 'file') pack.entry(header, e.content ?? '', cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const cliScript = "import { main } from './src/cli/main.ts'; await main(process.argv);";
function cli(...args: string[]) {
  return execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', cliScript, 'nix-strata', ...args], { reject: false });
}

describe('pulling from a local docker-registry', { timeout: 180_000 }, () => {
  let dir: string;
  let registry: LocalRegistry | undefined;
  let host: string;
  let diffIds: Digest[];
  let armDiffIds: Digest[];
  let gzipDigest: Digest;
  let zstdDigest: Digest;
  let indexDigest: Digest;
  const repo = 'strata/e2e';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nix-strata-e2e-registry-'));
    registry = await startLocalRegistry(dir);
    host = registry.address;

    // A tiny busybox image, two layers: the second deletes a file with a whiteout. Each
    // variant's layers differ, so skopeo cannot reuse one push's blobs for the other.
    const makeArchive = async (variant: string): Promise<{ path: string; diffIds: Digest[] }> => {
      const lower = await tarOf([
        { name: 'bin/', type: 'directory' },
        { name: 'bin/busybox', content: readFileSync('/bin/busybox'), mode: 0o755 },
        { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
        { name: 'etc/', type: 'directory' },
        { name: 'etc/os-release', content: `ID=strata-e2e-${variant}\n` },
      ]);
      const upper = await tarOf([{ name: 'etc/', type: 'directory' }, { name: 'etc/.wh.os-release' }, { name: 'etc/motd', content: `pulled ${variant}\n` }]);
      const ids = [sha256Digest(lower), sha256Digest(upper)];
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: ids } }));
      const configName = `${hexOf(sha256Digest(config))}.json`;
      const archive = await tarOf([
        { name: `${hexOf(ids[0]!)}/layer.tar`, content: lower },
        { name: `${hexOf(ids[1]!)}/layer.tar`, content: upper },
        { name: configName, content: config },
        { name: 'manifest.json', content: JSON.stringify([{ Config: configName, RepoTags: ['strata-e2e:src'], Layers: ids.map((d) => `${hexOf(d)}/layer.tar`) }]) },
      ]);
      const path = join(dir, `${variant}.tar`);
      await writeFile(path, archive);
      return { path, diffIds: ids };
    };

    const push = async (source: string, tag: string, extra: string[]): Promise<Digest> => {
      const digestFile = join(dir, `${tag}.digest`);
      await execa('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', '--digestfile', digestFile, ...extra,
        `docker-archive:${source}`, `docker://${host}/${repo}:${tag}`]);
      return (await readFile(digestFile, 'utf8')).trim() as Digest;
    };
    const amd64 = await makeArchive('amd64');
    const arm64 = await makeArchive('arm64');
    diffIds = amd64.diffIds;
    armDiffIds = arm64.diffIds;
    gzipDigest = await push(amd64.path, 'gzip', []);
    zstdDigest = await push(arm64.path, 'zstd', ['--dest-compress-format', 'zstd', '--format', 'oci']);

    // An index naming the two as amd64 and arm64, pushed over the registry API.
    const sizeOf = async (digest: Digest) => {
      const response = await fetch(`http://${host}/v2/${repo}/manifests/${digest}`, { headers: { Accept: [MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest].join(', ') } });
      assert.equal(response.status, 200);
      return { mediaType: response.headers.get('content-type')!, size: (await response.arrayBuffer()).byteLength };
    };
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex,
      manifests: [
        { ...(await sizeOf(gzipDigest)), digest: gzipDigest, platform: { os: 'linux', architecture: 'amd64' } },
        { ...(await sizeOf(zstdDigest)), digest: zstdDigest, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      ],
    }));
    const put = await fetch(`http://${host}/v2/${repo}/manifests/multi`, { method: 'PUT', headers: { 'Content-Type': MEDIA_TYPES.ociIndex }, body: index });
    assert.equal(put.status, 201, await put.text());
    indexDigest = sha256Digest(index);
  });

  after(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('pulls gzip layers by manifest digest, with the identities skopeo pushed', async () => {
    const image = await pullImage({ reference: `${host}/${repo}`, digest: gzipDigest, blobDir: await mkdtemp(join(dir, 'blobs-')) });
    assert.equal(image.manifestDigest, gzipDigest);
    assert.deepEqual(await Promise.all(image.layers.map((l) => l.diffId())), diffIds);
    assert.deepEqual(image.layers.map((l) => l.compression), ['gzip', 'gzip']);
    assert.equal(sha256Digest(await image.rawConfig()), image.configDigest);
    for (const layer of image.layers) {
      assert.equal((await digestOf(layer.open())).digest, await layer.digest());
      assert.equal((await digestOf(await decompressed(layer.open(), 'layer'))).digest, await layer.diffId());
    }
  });

  it('pulls the arm64 entry of an index: zstd layers', async () => {
    const image = await pullImage({ reference: `${host}/${repo}:multi`, digest: indexDigest, arch: 'arm64', blobDir: await mkdtemp(join(dir, 'blobs-')) });
    assert.equal(image.manifestDigest, zstdDigest);
    assert.deepEqual(image.layers.map((l) => l.compression), ['zstd', 'zstd']);
    assert.deepEqual(await Promise.all(image.layers.map((l) => l.diffId())), armDiffIds);
  });

  it('fails on a digest the registry does not have', async () => {
    await assert.rejects(pullImage({ reference: `${host}/${repo}:gzip`, digest: sha256Digest('wrong'), blobDir: await mkdtemp(join(dir, 'blobs-')) }),
      (error: unknown) => error instanceof UserError && error.code === 'registry-not-found' && error.message.includes(`${host}/${repo}`));
    const result = await cli('pull', `${host}/${repo}:gzip`, '--digest', sha256Digest('wrong'), '--output', join(dir, 'wrong.tar'));
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /^nix-strata: manifest sha256:[0-9a-f]{64} of 127\.0\.0\.1:\d+\/strata\/e2e: not found \(HTTP 404, MANIFEST_UNKNOWN/m);
  });

  it('writes a docker-archive with `nix-strata pull` that docker loads, and `export` flattens it', async () => {
    const archive = join(dir, 'pulled.tar');
    const pulled = await cli('pull', `${host}/${repo}:multi`, '--digest', indexDigest, '--output', archive, '--final-name', 'strata-e2e-pulled', '--final-tag', 'v1');
    assert.equal(pulled.exitCode, 0, pulled.stderr);
    const read = await readDockerArchive(archive);
    assert.deepEqual(read.diffIds, diffIds);

    const image = 'strata-e2e-pulled:v1';
    const loaded = await execa('docker', ['load', '-i', archive]);
    try {
      assert.match(loaded.stdout, /Loaded image: strata-e2e-pulled:v1/);
      const id = (await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', image])).stdout.trim();
      assert.equal(id, `sha256:${hexOf(sha256Digest(await (async () => {
        const response = await fetch(`http://${host}/v2/${repo}/manifests/${gzipDigest}`, { headers: { Accept: MEDIA_TYPES.dockerManifest } });
        const manifest = await response.json() as { config: { digest: string } };
        return Buffer.from(await (await fetch(`http://${host}/v2/${repo}/blobs/${manifest.config.digest}`)).arrayBuffer());
      })()))}`);
      const run = await execa('docker', ['run', '--rm', '--network', 'none', image, '/bin/sh', '-c', 'cat /etc/motd; test ! -e /etc/os-release && echo gone']);
      assert.equal(run.stdout, 'pulled amd64\ngone');
      // Docker's own archive (OCI layout + manifest.json since Docker 25) flattens the same way.
      await execa('docker', ['save', '-o', join(dir, 'saved.tar'), image]);
    } finally {
      await execa('docker', ['rmi', image], { reject: false });
    }

    const flattened: Buffer[] = [];
    for (const source of [archive, join(dir, 'saved.tar')]) {
      const rootfs = `${source}.rootfs.tar`;
      const exported = await cli('export', source, '--output', rootfs);
      assert.equal(exported.exitCode, 0, exported.stderr);
      const names: string[] = [];
      const extract = tar.extract();
      const listing = (async () => {
        for await (const entry of extract) {
          names.push(`${entry.header.type}:${entry.header.name}`);
          entry.resume();
        }
      })();
      const bytes = await readFile(rootfs);
      flattened.push(bytes);
      extract.end(bytes);
      await listing;
      assert.deepEqual(names, ['directory:bin/', 'file:bin/busybox', 'symlink:bin/sh', 'directory:etc/', 'file:etc/motd'], source);
    }
    assert.ok(flattened[0]!.equals(flattened[1]!), 'the pulled archive and docker save flatten to the same bytes');
  });
});
