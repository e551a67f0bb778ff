// The metadata walk of a store layer, recorded compactly (child names, types, modes, sizes, link
// targets in walk order) by the walk that sizes the layer, so the walk that streams it repeats
// no lstat, readdir or readlink: on a closure of tens of thousands of files those calls cost
// about as much as reading the contents.

/** Record kinds. END closes the directory opened last. */
export const RECORD_END = 0;
export const RECORD_FILE = 1;
export const RECORD_DIRECTORY = 2;
export const RECORD_SYMLINK = 3;
export type RecordKind = typeof RECORD_END | typeof RECORD_FILE | typeof RECORD_DIRECTORY | typeof RECORD_SYMLINK;

/** Bytes a record may take in all before it is given up (the stream then walks the tree again). */
export const RECORD_LIMIT = 16 * 1024 * 1024;

/** Appends records; `bytes()` is undefined once the limit was passed. */
export class WalkRecorder {
  private buffer: Buffer;
  private length = 0;
  private overflowed = false;

  constructor(private readonly limit = RECORD_LIMIT) {
    this.buffer = Buffer.allocUnsafe(Math.min(limit, 64 * 1024));
  }

  /** One entry: `name` is the child's name (latin1), empty for a store path itself. */
  entry(kind: Exclude<RecordKind, typeof RECORD_END>, mode: number, size: number, name: string, link?: Buffer): void {
    if (this.overflowed) return;
    const nameBytes = name.length;
    const need = 1 + 2 + 4 + nameBytes + (kind === RECORD_FILE ? 8 : 0) + (link === undefined ? 0 : 4 + link.length);
    if (!this.ensure(need)) return;
    const b = this.buffer;
    let at = this.length;
    b[at++] = kind;
    b.writeUInt16LE(mode, at);
    at += 2;
    b.writeUInt32LE(nameBytes, at);
    at += 4;
    at += b.write(name, at, 'latin1');
    if (kind === RECORD_FILE) {
      b.writeDoubleLE(size, at);
      at += 8;
    }
    if (link !== undefined) {
      b.writeUInt32LE(link.length, at);
      at += 4;
      b.set(link, at);
      at += link.length;
    }
    this.length = at;
  }

  /** Closes the directory recorded last. */
  end(): void {
    if (!this.overflowed && this.ensure(1)) this.buffer[this.length++] = RECORD_END;
  }

  /** The records, or undefined when they outgrew the limit. */
  bytes(): Buffer | undefined {
    return this.overflowed ? undefined : this.buffer.subarray(0, this.length);
  }

  private ensure(need: number): boolean {
    if (this.length + need > this.limit) {
      this.overflowed = true;
      this.buffer = Buffer.alloc(0);
      return false;
    }
    if (this.length + need <= this.buffer.length) return true;
    const bigger = Buffer.allocUnsafe(Math.min(this.limit, Math.max(this.length + need, this.buffer.length * 2)));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
    return true;
  }
}

/** Reads records back in order; the fields describe the record `next()` returned. */
export class WalkReader {
  private at = 0;
  mode = 0;
  size = 0;
  name = '';
  link: Buffer | undefined;

  constructor(private readonly bytes: Buffer) {}

  next(): RecordKind {
    const b = this.bytes;
    const kind = b[this.at++] as RecordKind;
    if (kind === RECORD_END) return kind;
    this.mode = b.readUInt16LE(this.at);
    const nameBytes = b.readUInt32LE(this.at + 2);
    this.at += 6;
    this.name = b.toString('latin1', this.at, this.at + nameBytes);
    this.at += nameBytes;
    if (kind === RECORD_FILE) {
      this.size = b.readDoubleLE(this.at);
      this.at += 8;
    } else {
      this.size = 0;
    }
    if (kind === RECORD_SYMLINK) {
      const linkBytes = b.readUInt32LE(this.at);
      this.at += 4;
      this.link = b.subarray(this.at, this.at + linkBytes);
      this.at += linkBytes;
    } else {
      this.link = undefined;
    }
    return kind;
  }
}
