// fakeroot's records against the real tree: which differences are fakeroot's own (kept) and
// which are a static program's chmod/chown behind a record (the real values win).
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { reconcile, reconcileListing } from '../../src/customisation/fakeroot-records.ts';
import type { Snapshot, SnapshotEntry } from '../../src/build-image/snapshot.ts';
import { UserError } from '../../src/errors.ts';

let root: string;
const uid = process.getuid!();
const gid = process.getgid!();

// path → [real kind, real mode]; made on disk before the tests.
const real: Record<string, ['f' | 'd' | 'l', number]> = {
  'static-chmod': ['f', 0o644],
  'fakeroot-chmod-000': ['f', 0o600],
  'dir-555': ['d', 0o755],
  'dir-static-chmod': ['d', 0o700],
  'suid-refused': ['f', 0o644],
  'faked-device': ['f', 0o644],
  'unknown-444': ['f', 0o444],
  link: ['l', 0o777],
  'was-a-file': ['d', 0o755],
};

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'nix-strata-reconcile-'));
  for (const [path, [kind, mode]] of Object.entries(real)) {
    const disk = join(root, path);
    if (kind === 'l') await symlink('static-chmod', disk);
    else {
      if (kind === 'd') await mkdir(disk);
      else await writeFile(disk, '');
      await chmod(disk, mode);
    }
  }
});
after(() => rm(root, { recursive: true, force: true }));

// A snapshot whose entries say what fakeroot recorded.
function recorded(entries: Record<string, Partial<SnapshotEntry>>): Snapshot {
  const snapshot: Snapshot = new Map();
  snapshot.set('', { path: '', kind: 'd', mode: 0o700, uid, gid, size: 0, inode: '1', ctime: '1', target: '' });
  for (const [path, entry] of Object.entries(entries)) {
    snapshot.set(path, { path, kind: real[path]![0], mode: real[path]![1], uid, gid, size: 0, inode: '1', ctime: '1', target: '', ...entry });
  }
  return snapshot;
}

const modeOf = (snapshot: Snapshot, path: string) => snapshot.get(path)!.mode;

describe('reconcile', () => {
  it('keeps fakeroot\'s own differences: u+rw on files, u+rwx on directories, a refused setuid, a faked device, unknown files', () => {
    const result = reconcile(recorded({
      'fakeroot-chmod-000': { mode: 0o000 },
      'dir-555': { mode: 0o555 },
      'suid-refused': { mode: 0o4755 },
      'faked-device': { kind: 'c', mode: 0o644 },
      'unknown-444': {},
      link: {},
    }), { root, realOwners: false, step: 'runAsRoot' });
    assert.equal(modeOf(result, 'fakeroot-chmod-000'), 0o000);
    assert.equal(modeOf(result, 'dir-555'), 0o555);
    assert.equal(modeOf(result, 'suid-refused'), 0o4755);
    assert.equal(result.get('faked-device')!.kind, 'c');
    assert.equal(modeOf(result, 'unknown-444'), 0o444);
  });

  it('takes the real mode where a chmod happened behind a record', () => {
    const result = reconcile(recorded({ 'static-chmod': { mode: 0o600, uid: 1000, gid: 1000 }, 'dir-static-chmod': { mode: 0o755 } }), { root, realOwners: false, step: 'runAsRoot' });
    assert.equal(modeOf(result, 'static-chmod'), 0o644);
    assert.equal(result.get('static-chmod')!.uid, 1000, 'as a build user the recorded owner stays');
    assert.equal(modeOf(result, 'dir-static-chmod'), 0o700);
  });

  it('takes the real owner as root, where a chown is real', () => {
    const result = reconcile(recorded({ 'static-chmod': { uid: uid + 1000, gid: gid + 1000 } }), { root, realOwners: true, step: 'runAsRoot' });
    assert.deepEqual([result.get('static-chmod')!.uid, result.get('static-chmod')!.gid], [uid, gid]);
  });

  it('corrects a listing the same way, naming the step in its error', () => {
    const listing = [...recorded({ 'static-chmod': { mode: 0o600 } }).values()];
    assert.equal(reconcileListing(listing, { root, realOwners: false, step: 'fakeRootCommands' }).find((e) => e.path === 'static-chmod')!.mode, 0o644);
    const stale = [...recorded({ 'was-a-file': { kind: 'f' } }).values()];
    assert.throws(() => reconcileListing(stale, { root, realOwners: false, step: 'fakeRootCommands' }), /^UserError: fakeRootCommands left \/was-a-file a directory/);
  });

  it('fails in one line on a record of another file type (an inode reused unseen)', () => {
    assert.throws(() => reconcile(recorded({ 'was-a-file': { kind: 'f', mode: 0o644 } }), { root, realOwners: false, step: 'runAsRoot' }), (error: unknown) =>
      error instanceof UserError && error.message === 'runAsRoot left /was-a-file a directory, but fakeroot holds a record of a regular file for its inode: a statically linked program deleted a file fakeroot had seen changed, and the inode was reused; do that deletion with a dynamically linked program (e.g. coreutils\' rm)');
  });
});
