// Flattening layers into one root filesystem: the OCI whiteout, opaque-directory,
// replacement and hard-link rules, table-driven over tars built here with tar-stream.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { sha256Digest, type Digest } from '../../src/digest/digest.ts';
import { UserError } from '../../src/errors.ts';
import type { Layer, LayerCompression } from '../../src/image/types.ts';
import { exportRootfs } from '../../src/sinks/rootfs-tar.ts';

// A layer entry for tests: `d:` directory, `f:` file with content, `s:` symlink, `h:` hard link.
type Spec = string;

async function makeTar(specs: readonly Spec[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const spec of specs) {
    const [kind, name, extra = ''] = spec.split(':') as [string, string, string?];
    const base = { name, mtime: new Date(1000), uid: 0, gid: 0, uname: 'root', gname: 'root' };
    await new Promise<void>((resolve, reject) => {
      const cb = (error?: Error | null) => (error ? reject(error) : resolve());
      if (kind === 'd') pack.entry({ ...base, type: 'directory', mode: extra ? parseInt(extra, 8) : 0o755 }, cb);
      else if (kind === 'f') pack.entry({ ...base, type: 'file', mode: 0o644 }, Buffer.from(extra), cb);
      else if (kind === 's') pack.entry({ ...base, type: 'symlink', mode: 0o777, linkname: extra }, cb);
      else if (kind === 'h') pack.entry({ ...base, type: 'link', mode: 0o644, linkname: extra }, cb);
      else reject(new Error(`bad spec ${spec}`));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

function bytesLayer(blob: Buffer, compression: LayerCompression = 'none'): Layer {
  const digest = sha256Digest(blob);
  return {
    compression,
    diffId: async () => digest as Digest,
    digest: async () => digest,
    size: async () => blob.length,
    open: () => Readable.from([blob]),
    origin: [],
  };
}

async function flatten(layers: readonly Layer[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  await exportRootfs(layers, sink);
  return Buffer.concat(chunks);
}

// The output as the same spec strings (directories without their trailing slash).
async function listing(archive: Buffer): Promise<{ specs: string[]; modes: Map<string, number> }> {
  const specs: string[] = [];
  const modes = new Map<string, number>();
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const h = entry.header;
      const name = h.name.replace(/\/$/, '');
      modes.set(name, h.mode);
      if (h.type === 'directory') specs.push(`d:${name}`);
      else if (h.type === 'file') specs.push(`f:${name}:${Buffer.concat(chunks).toString()}`);
      else if (h.type === 'symlink') specs.push(`s:${name}:${h.linkname}`);
      else if (h.type === 'link') specs.push(`h:${name}:${h.linkname}`);
      else specs.push(`?:${name}`);
    }
  })();
  extract.end(archive);
  await reading;
  return { specs, modes };
}

const cases: Array<{ name: string; layers: Spec[][]; expect: Spec[] }> = [
  { name: 'a later file replaces an earlier one', layers: [['d:a', 'f:a/f:one'], ['f:a/f:two']], expect: ['d:a', 'f:a/f:two'] },
  { name: 'a whiteout deletes a lower file', layers: [['d:a', 'f:a/f:1', 'f:a/g:2'], ['d:a', 'f:a/.wh.f:']], expect: ['d:a', 'f:a/g:2'] },
  { name: 'a whiteout deletes a lower directory with its contents', layers: [['d:a', 'd:a/b', 'f:a/b/c:x', 'f:a/bc:y'], ['f:a/.wh.b:']], expect: ['d:a', 'f:a/bc:y'] },
  { name: 'a whiteout of something absent changes nothing', layers: [['f:x:1'], ['f:.wh.nothing:']], expect: ['f:x:1'] },
  { name: 'a whiteout does not hide an entry of its own layer', layers: [['f:f:old'], ['f:f:new', 'f:.wh.f:']], expect: ['f:f:new'] },
  {
    name: 'an opaque directory hides lower contents only',
    layers: [['d:a', 'f:a/x:1', 'd:a/y', 'f:a/y/z:2', 'f:b:3'], ['d:a', 'f:a/new:4', 'f:a/.wh..wh..opq:']],
    expect: ['d:a', 'f:a/new:4', 'f:b:3'],
  },
  { name: 'an opaque directory in a later layer hides earlier opaque contents', layers: [['d:a', 'f:a/1:1'], ['f:a/.wh..wh..opq:', 'f:a/2:2'], ['f:a/.wh..wh..opq:', 'f:a/3:3']], expect: ['d:a', 'f:a/3:3'] },
  { name: 'a file replaces a directory and its subtree', layers: [['d:d', 'f:d/x:1'], ['f:d:file']], expect: ['f:d:file'] },
  { name: 'a directory replaces a file', layers: [['f:d:file'], ['d:d', 'f:d/y:1']], expect: ['d:d', 'f:d/y:1'] },
  { name: 'a directory over a directory keeps the lower children', layers: [['d:d:755', 'f:d/x:1'], ['d:d:700', 'f:d/y:2']], expect: ['d:d', 'f:d/x:1', 'f:d/y:2'] },
  { name: 'a path under a lower file turns it into a directory', layers: [['f:p:file'], ['f:p/q:1']], expect: ['d:p', 'f:p/q:1'] },
  { name: 'entry order is sorted by path bytes, parents first', layers: [['f:b:1', 'd:a', 'f:a-b:2', 'f:a/c:3', 'f:A:4']], expect: ['f:A:4', 'd:a', 'f:a-b:2', 'f:a/c:3', 'f:b:1'] },
  { name: 'names are normalised; the root entry is dropped', layers: [['d:./', 'd:./etc/', 'f:./etc/passwd:root', 's:/etc/link:passwd']], expect: ['d:etc', 's:etc/link:passwd', 'f:etc/passwd:root'] },
  { name: 'a hard link keeps its target within a layer', layers: [['f:a:data', 'h:b:a']], expect: ['f:a:data', 'h:b:a'] },
  { name: 'the first path in output order carries a hard-linked file', layers: [['f:z:data', 'h:a:z']], expect: ['f:a:data', 'h:z:a'] },
  { name: 'a hard link to a lower layer file works', layers: [['f:z:data'], ['h:a:z']], expect: ['f:a:data', 'h:z:a'] },
  { name: 'replacing a hard link target unlinks the pair', layers: [['f:f:old'], ['h:h:f'], ['f:f:new']], expect: ['f:f:new', 'f:h:old'] },
  { name: 'deleting a hard link target keeps the other name', layers: [['f:f:data', 'h:h:f'], ['f:.wh.f:']], expect: ['f:h:data'] },
];

describe('exportRootfs', () => {
  for (const testCase of cases) {
    it(testCase.name, async () => {
      const layers = await Promise.all(testCase.layers.map(async (specs) => bytesLayer(await makeTar(specs))));
      const { specs } = await listing(await flatten(layers));
      assert.deepEqual(specs, testCase.expect);
    });
  }

  it('updates directory metadata from the upper layer', async () => {
    const layers = [bytesLayer(await makeTar(['d:d:755', 'f:d/x:1'])), bytesLayer(await makeTar(['d:d:700']))];
    const { modes } = await listing(await flatten(layers));
    assert.equal(modes.get('d'), 0o700);
  });

  it('reads gzip and zstd layers', async () => {
    const lower = await makeTar(['d:a', 'f:a/x:gz']);
    const upper = await makeTar(['f:a/y:zst', 'f:a/.wh.x:']);
    const zstd = execFileSync('zstd', ['-q', '-c'], { input: upper });
    const { specs } = await listing(await flatten([bytesLayer(gzipSync(lower), 'gzip'), bytesLayer(zstd, 'zstd')]));
    assert.deepEqual(specs, ['d:a', 'f:a/y:zst']);
  });

  it('spills large files and keeps long names', async () => {
    const big = 'x'.repeat(200_000);
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
    const { specs } = await listing(await flatten([bytesLayer(await makeTar([`d:${'d'.repeat(120)}`, `f:${long}:${big}`]))]));
    assert.deepEqual(specs, [`d:${'d'.repeat(120)}`, `f:${long}:${big}`]);
  });

  it('writes the same bytes every time', async () => {
    const layers = [bytesLayer(await makeTar(['f:b:1', 'd:a', 'f:a/c:3'])), bytesLayer(await makeTar(['f:.wh.b:', 'f:c:2']))];
    const first = await flatten(layers);
    assert.deepEqual(await flatten(layers), first);
  });

  it('rejects a hard link to a missing file', async () => {
    await assert.rejects(flatten([bytesLayer(await makeTar(['h:a:missing']))]), (error: unknown) =>
      error instanceof UserError && /hard link a points to missing/.test(error.message));
  });

  it('rejects paths that leave the root', async () => {
    await assert.rejects(flatten([bytesLayer(await makeTar(['f:../evil:x']))]), (error: unknown) =>
      error instanceof UserError && /escapes the root/.test(error.message));
  });

  it('rejects a blob that is not a tar', async () => {
    await assert.rejects(flatten([bytesLayer(gzipSync(Buffer.from('not a tar at all'.repeat(64))))]), UserError);
  });
});
