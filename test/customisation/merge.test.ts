import { strict as assert } from 'node:assert';
import { lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mergeContents } from '../../src/customisation/merge.ts';
import { UserError } from '../../src/errors.ts';
import type { Logger } from '../../src/log.ts';
import { tempDir } from '../tar/fixtures.ts';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (line) => lines.push(line), progress: () => {} };
}

/** Creates files (content string), symlinks ({ link }) and directories (trailing `/`) under root. */
function tree(root: string, spec: Record<string, string | { link: string }>): string {
  mkdirSync(root, { recursive: true });
  for (const [path, value] of Object.entries(spec)) {
    const full = join(root, path);
    if (path.endsWith('/')) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(join(full, '..'), { recursive: true });
    if (typeof value === 'string') writeFileSync(full, value);
    else symlinkSync(value.link, full);
  }
  return root;
}

/** Every entry of a directory as `path -> target`, `path/` or `path (file)`, sorted. */
function describeTree(root: string, prefix = ''): string[] {
  return readdirSync(root).sort().flatMap((name) => {
    const full = join(root, name);
    const info = lstatSync(full);
    if (info.isSymbolicLink()) return [`${prefix}${name} -> ${readlinkSync(full)}`];
    if (info.isDirectory()) {
      assert.equal(info.mode & 0o7777, 0o755, `${prefix}${name}/ is 0755`);
      return [`${prefix}${name}/`, ...describeTree(full, `${prefix}${name}/`)];
    }
    return [`${prefix}${name} (file)`];
  });
}

describe('mergeContents', () => {
  it('mirrors directories as 0755 directories and files as absolute links, keeping relative links relative', async () => {
    const dir = tempDir();
    try {
      const bash = tree(join(dir.path, 'bash'), {
        'bin/bash': 'ELF', 'bin/sh': { link: 'bash' }, 'share/man/man1/bash.1': 'man', '.gitignore': 'x', 'backup~': 'y', 'CVS/Entries': 'z',
      });
      const into = join(dir.path, 'root');
      const log = recordingLogger();
      const result = await mergeContents({ into, elements: [bash], log });
      assert.deepEqual(describeTree(into), [
        `.gitignore -> ${bash}/.gitignore`,
        'CVS/', `CVS/Entries -> ${bash}/CVS/Entries`,
        `backup~ -> ${bash}/backup~`,
        'bin/', `bin/bash -> ${bash}/bin/bash`, 'bin/sh -> bash',
        'share/', 'share/man/', 'share/man/man1/', `share/man/man1/bash.1 -> ${bash}/share/man/man1/bash.1`,
      ]);
      assert.equal(lstatSync(into).mode & 0o7777, 0o755);
      assert.equal(result.conflicts, 0);
      assert.deepEqual(log.lines, []);
    } finally {
      dir.cleanup();
    }
  });

  it('lets the first element win and reports each conflict once', async () => {
    const dir = tempDir();
    try {
      const first = tree(join(dir.path, 'first'), { 'bin/tool': 'one', 'bin/sh': { link: 'bash' }, 'etc/conf': 'a' });
      const second = tree(join(dir.path, 'second'), { 'bin/tool': 'two', 'bin/sh': { link: 'bash' }, 'bin/extra': 'e', 'etc/conf': 'b' });
      const into = join(dir.path, 'root');
      const log = recordingLogger();
      const result = await mergeContents({ into, elements: [first, second], log });
      assert.deepEqual(describeTree(into), [
        'bin/', `bin/extra -> ${second}/bin/extra`, 'bin/sh -> bash', `bin/tool -> ${first}/bin/tool`,
        'etc/', `etc/conf -> ${first}/etc/conf`,
      ]);
      assert.equal(result.conflicts, 2, 'identical links (bin/sh -> bash) are not conflicts');
      assert.equal(log.lines.length, 2);
      assert.match(log.lines[0]!, new RegExp(`^merge-contents: conflict at /bin/tool: ${second} -> ${second}/bin/tool is ignored, the link from ${first} is kept$`));
      assert.match(log.lines[1]!, /conflict at \/etc\/conf/);
    } finally {
      dir.cleanup();
    }
  });

  it('skips the subtree of a later element where a directory meets an earlier file or link', async () => {
    const dir = tempDir();
    try {
      const first = tree(join(dir.path, 'first'), { lib: 'a file named lib', 'share/doc': 'doc file' });
      const second = tree(join(dir.path, 'second'), { 'lib/libx.so': 'x', 'share/doc/readme': 'r', 'share/other': 'o' });
      const into = join(dir.path, 'root');
      const log = recordingLogger();
      await mergeContents({ into, elements: [first, second], log });
      assert.deepEqual(describeTree(into), [
        `lib -> ${first}/lib`, 'share/', `share/doc -> ${first}/share/doc`, `share/other -> ${second}/share/other`,
      ]);
      assert.equal(log.lines.length, 2);
      assert.match(log.lines[0]!, /conflict at \/lib: .* is a directory there, but the link from .* is kept; that subtree of .* is skipped/);
    } finally {
      dir.cleanup();
    }
  });

  it('reproduces symlinks to directories as symlinks and does not descend into them', async () => {
    const dir = tempDir();
    try {
      const hello = tree(join(dir.path, 'hello'), { 'bin/hello': 'ELF' });
      const env = tree(join(dir.path, 'env'), { bin: { link: join(hello, 'bin') }, 'lib/': '', 'share/rel': { link: '../lib' } });
      const later = tree(join(dir.path, 'later'), { 'bin/other': 'o', 'lib/libz.so': 'z' });
      const into = join(dir.path, 'root');
      const log = recordingLogger();
      await mergeContents({ into, elements: [env, later], log });
      assert.deepEqual(describeTree(into), [
        `bin -> ${hello}/bin`, 'lib/', `lib/libz.so -> ${later}/lib/libz.so`, 'share/', 'share/rel -> ../lib',
      ]);
      assert.equal(log.lines.length, 1, 'the later bin/ directory meets the bin symlink');
    } finally {
      dir.cleanup();
    }
  });

  it('merges into an existing tree without replacing what is there', async () => {
    const dir = tempDir();
    try {
      const into = tree(join(dir.path, 'root'), { 'etc/passwd': 'root:x:0:0' });
      const element = tree(join(dir.path, 'el'), { 'etc/passwd': 'other', 'etc/group': 'g' });
      const log = recordingLogger();
      await mergeContents({ into, elements: [element], log });
      assert.equal(lstatSync(join(into, 'etc/passwd')).isFile(), true);
      assert.equal(readlinkSync(join(into, 'etc/group')), join(element, 'etc/group'));
      assert.match(log.lines[0]!, /conflict at \/etc\/passwd: .* the file already in the destination is kept/);
    } finally {
      dir.cleanup();
    }
  });

  it('rejects an element that is not a directory', async () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'plain-file');
      writeFileSync(file, 'x');
      await assert.rejects(mergeContents({ into: join(dir.path, 'root'), elements: [file], log: recordingLogger() }), (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.match(error.message, new RegExp(`^contents element ${file} is not a directory`));
        return true;
      });
      await assert.rejects(mergeContents({ into: join(file, 'sub'), elements: [dir.path], log: recordingLogger() }), /--into .*plain-file\/sub cannot be created \(ENOTDIR\)/);
      await assert.rejects(mergeContents({ into: join(dir.path, 'root'), elements: [join(dir.path, 'missing')], log: recordingLogger() }), /contents element .*missing cannot be read \(ENOENT\)/);
    } finally {
      dir.cleanup();
    }
  });
});
