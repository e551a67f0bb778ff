// The common store-layer header written in place: a plain ustar block (ASCII name and link
// target of at most 100 bytes, sizes below 8 GiB) for a fixed owner and mtime. It gives exactly
// the bytes encodeHeader gives for such entries (test/tar pins both), without the per-entry
// allocations, Maps and string formatting that dominated the profile on trees of small files.
import { BLOCK_SIZE, encodeHeader, type TarHeader } from './header.ts';

/** Type flag of a regular file. */
export const FAST_FILE = 0x30;
/** Type flag of a symlink. */
export const FAST_SYMLINK = 0x32;
/** Type flag of a directory. */
export const FAST_DIRECTORY = 0x35;
type FastType = typeof FAST_FILE | typeof FAST_SYMLINK | typeof FAST_DIRECTORY;

const MAX_SIZE = 8 ** 11;

/** Writes ustar blocks for one owner/mtime; `write` returns false when the entry needs pax records. */
export class FastHeader {
  private readonly template: Buffer | undefined;
  private readonly templateSum: number;

  constructor(owner: Pick<TarHeader, 'uid' | 'gid' | 'uname' | 'gname' | 'mtime'>) {
    // The template is encodeHeader's own block for an empty-named entry, so the owner fields
    // are formatted by the reference encoder; the per-entry fields are then overwritten.
    const block = encodeHeader({ ...owner, name: '', type: 'file', mode: 0, size: 0 });
    if (block.length !== BLOCK_SIZE) {
      // Owner names or numbers need pax records: every header takes the general path.
      this.template = undefined;
      this.templateSum = 0;
      return;
    }
    block.fill(0x20, 148, 156); // checksum field counted as spaces
    block.fill(0, 100, 108); // mode
    block.fill(0, 124, 136); // size
    block[156] = 0; // typeflag
    this.template = block;
    let sum = 0;
    for (let i = 0; i < BLOCK_SIZE; i++) sum += block[i]!;
    this.templateSum = sum;
  }

  /**
   * Writes the header of `name` (a directory gets its trailing slash here) into `into` at `at`,
   * or returns false without writing when it does not fit a plain ustar block.
   */
  write(into: Buffer, at: number, name: Buffer, type: FastType, mode: number, size: number, linkname?: Buffer): boolean {
    const template = this.template;
    if (template === undefined || size >= MAX_SIZE) return false;
    const slash = type === FAST_DIRECTORY && name[name.length - 1] !== 0x2f ? 1 : 0;
    const nameLength = name.length + slash;
    if (nameLength > 100 || (linkname !== undefined && linkname.length > 100)) return false;
    let sum = this.templateSum;
    for (let i = 0; i < name.length; i++) {
      const byte = name[i]!;
      if (byte >= 0x80) return false;
      sum += byte;
    }
    if (linkname !== undefined) {
      for (let i = 0; i < linkname.length; i++) {
        const byte = linkname[i]!;
        if (byte >= 0x80) return false;
        sum += byte;
      }
    }
    template.copy(into, at);
    name.copy(into, at);
    if (slash === 1) {
      into[at + name.length] = 0x2f;
      sum += 0x2f;
    }
    if (linkname !== undefined) linkname.copy(into, at + 157);
    sum += writeOctal(into, at + 100, 7, mode & 0o7777);
    sum += writeOctal(into, at + 124, 11, size);
    into[at + 156] = type;
    sum += type;
    // Six octal digits, NUL, space: the field as CPython's tarfile writes it.
    writeOctal(into, at + 148, 6, sum);
    into[at + 154] = 0;
    into[at + 155] = 0x20;
    return true;
  }
}

// `digits` zero-padded octal digits of `value` at `at` (the NUL after them is the template's);
// returns the sum of the digit bytes for the checksum.
function writeOctal(into: Buffer, at: number, digits: number, value: number): number {
  let sum = 0;
  let rest = value;
  for (let i = digits - 1; i >= 0; i--) {
    const digit = 0x30 + (rest % 8);
    into[at + i] = digit;
    sum += digit;
    rest = Math.floor(rest / 8);
  }
  return sum;
}
