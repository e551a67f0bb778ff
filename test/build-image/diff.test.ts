import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffTrees, opaquePath, whiteoutPath } from '../../src/build-image/diff.ts';
import type { Snapshot, SnapshotEntry } from '../../src/build-image/snapshot.ts';

type Spec = Partial<SnapshotEntry> & { kind?: string };

// A snapshot from path → partial entry; inode and ctime default to the path so entries are stable.
function snap(entries: Record<string, Spec>): Snapshot {
  const result: Snapshot = new Map();
  for (const [path, spec] of Object.entries(entries)) {
    result.set(path, { path, kind: 'f', mode: 0o644, uid: 0, gid: 0, size: 0, inode: `i-${path}`, ctime: '1.0', target: '', ...spec });
  }
  return result;
}

const base = {
  '': { kind: 'd', mode: 0o755 },
  etc: { kind: 'd', mode: 0o755 },
  'etc/motd': {},
  'etc/passwd': {},
  var: { kind: 'd', mode: 0o755 },
  'var/lib': { kind: 'd', mode: 0o755 },
  'var/lib/gone': { kind: 'd', mode: 0o755 },
  'var/lib/gone/file': {},
  'var/lib/gone/deeper': { kind: 'd' },
  'var/lib/gone/deeper/x': {},
  top: {},
} satisfies Record<string, Spec>;

describe('diffTrees', () => {
  it('carries nothing but the root for an unchanged tree', () => {
    const diff = diffTrees(snap(base), snap(base));
    assert.deepEqual([...diff.include], ['']);
    assert.deepEqual(diff.whiteouts, []);
    assert.deepEqual(diff.opaque, []);
  });

  it('carries new and changed entries with their ancestors', () => {
    const after = snap({ ...base, 'etc/motd': { ctime: '2.0', size: 8 }, home: { kind: 'd' }, 'home/alice': { kind: 'd', uid: 1000 } });
    const diff = diffTrees(snap(base), after);
    assert.deepEqual([...diff.include].sort(), ['', 'etc', 'etc/motd', 'home', 'home/alice']);
  });

  it('sees a chown or chmod alone (fakeroot leaves the real ctime alone)', () => {
    const diff = diffTrees(snap(base), snap({ ...base, 'etc/passwd': { uid: 7 }, top: { mode: 0o600 } }));
    assert.deepEqual([...diff.include].sort(), ['', 'etc', 'etc/passwd', 'top']);
  });

  it('sees a file replaced by another with the same metadata (new inode)', () => {
    const diff = diffTrees(snap(base), snap({ ...base, top: { inode: 'other' } }));
    assert.ok(diff.include.has('top'));
  });

  it('whites out only the top-most deleted entry', () => {
    const { 'var/lib/gone': _a, 'var/lib/gone/file': _b, 'var/lib/gone/deeper': _c, 'var/lib/gone/deeper/x': _d, top: _e, ...rest } = base;
    const diff = diffTrees(snap(base), snap(rest));
    assert.deepEqual(diff.whiteouts, ['.wh.top', 'var/lib/.wh.gone']);
    assert.deepEqual([...diff.include].sort(), ['', 'var', 'var/lib']);
  });

  it('marks a directory removed and made again opaque, carrying all it holds', () => {
    const { 'var/lib/gone/file': _b, 'var/lib/gone/deeper/x': _d, ...rest } = base;
    const after = snap({ ...rest, 'var/lib/gone': { kind: 'd', inode: 'new' }, 'var/lib/gone/fresh': {} });
    const diff = diffTrees(snap(base), after);
    assert.deepEqual(diff.opaque, ['var/lib/gone']);
    // deeper is unchanged but must be carried: the opaque marker hides the lower copy.
    assert.deepEqual([...diff.include].sort(), ['', 'var', 'var/lib', 'var/lib/gone', 'var/lib/gone/deeper', 'var/lib/gone/fresh']);
    assert.deepEqual(diff.whiteouts, []);
  });

  it('puts no opaque marker below another one', () => {
    const after = snap({ ...base, 'var/lib': { kind: 'd', inode: 'new-lib' }, 'var/lib/gone': { kind: 'd', inode: 'new-gone' } });
    assert.deepEqual(diffTrees(snap(base), after).opaque, ['var/lib']);
  });

  it('needs no whiteouts below a directory replaced by a file', () => {
    const { 'var/lib/gone/file': _b, 'var/lib/gone/deeper': _c, 'var/lib/gone/deeper/x': _d, ...rest } = base;
    const diff = diffTrees(snap(base), snap({ ...rest, 'var/lib/gone': { kind: 'f', inode: 'file' } }));
    assert.deepEqual(diff.whiteouts, []);
    assert.ok(diff.include.has('var/lib/gone'));
  });

  it('names whiteouts and opaque markers as the OCI layer rules do', () => {
    assert.equal(whiteoutPath('etc/doomed'), 'etc/.wh.doomed');
    assert.equal(whiteoutPath('top'), '.wh.top');
    assert.equal(opaquePath('var/lib'), 'var/lib/.wh..wh..opq');
  });
});
