// The CLI factories of the customisation commands (src/cli/commands/{merge-contents,tar-tree}.ts).
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mergeContentsCommand } from '../../src/cli/commands/merge-contents.ts';
import { tarTreeCommand } from '../../src/cli/commands/tar-tree.ts';
import { readTar, sha256Hex, tempDir } from '../tar/fixtures.ts';

describe('customisation CLI commands', () => {
  it('merge-contents --into DIR PATH... then tar-tree --root DIR --out DIR --exclude REL', async () => {
    const dir = tempDir();
    try {
      const a = join(dir.path, 'a');
      const b = join(dir.path, 'b');
      mkdirSync(join(a, 'bin'), { recursive: true });
      mkdirSync(join(b, 'etc'), { recursive: true });
      writeFileSync(join(a, 'bin/tool'), 'tool');
      writeFileSync(join(b, 'etc/conf'), 'conf');
      const root = join(dir.path, 'root');
      await mergeContentsCommand().exitOverride().parseAsync(['--into', root, a, b], { from: 'user' });
      assert.equal(readlinkSync(join(root, 'bin/tool')), join(a, 'bin/tool'));
      assert.equal(readlinkSync(join(root, 'etc/conf')), join(b, 'etc/conf'));

      const out = join(dir.path, 'out');
      await tarTreeCommand().exitOverride().parseAsync(['--root', root, '--out', out, '--exclude', 'etc'], { from: 'user' });
      const bytes = readFileSync(join(out, 'layer.tar'));
      assert.equal(readFileSync(join(out, 'checksum'), 'utf8'), `${sha256Hex(bytes)}\n`);
      assert.deepEqual((await readTar(bytes)).map((entry) => entry.header.name), ['./', './bin/', './bin/tool']);
    } finally {
      dir.cleanup();
    }
  });

  it('tar-tree requires --root and --out', async () => {
    await assert.rejects(
      tarTreeCommand().exitOverride().configureOutput({ writeErr: () => {} }).parseAsync(['--out', '/tmp/x'], { from: 'user' }),
      /required option '--root <dir>' not specified/,
    );
  });
});
