// The common store-layer header written in place: a plain ustar block (ASCII name and link
// target of at most 100 bytes, sizes below 8 GiB) for a fixed owner and mtime. It gives exactly
// the bytes encodeHeader gives for such entries (test/tar pins both), without the per-entry
// allocations, Maps and string formatting that dominated the profile on trees of small files.
import { BLOCK_SIZE, checksum, encodeHeader, isAscii, paxRecordLength, type TarHeader } from './header.ts';

/** Type flag of a regular file. */
export const FAST_FILE = 0x30;
/** Type flag of a symlink. */
export const FAST_SYMLINK = 0x32;
/** Type flag of a directory. */
export const FAST_DIRECTORY = 0x35;
type FastType = typeof FAST_FILE | typeof FAST_SYMLINK | typeof FAST_DIRECTORY;

const MAX_SIZE = 8 ** 11;

/** Writes ustar blocks for one owner/mtime; `write` returns 0 when the entry needs the general encoder. */
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
    prepareTemplate(block);
    this.template = block;
    this.templateSum = checksum(block);
  }

  /**
   * The bytes `write` needs for this entry (a pax header for an ASCII name or link target over
   * 100 bytes, then the ustar block), or 0 when the entry must take the general encoder.
   */
  length(name: Buffer, type: FastType, size: number, linkname?: Buffer): number {
    if (this.template === undefined || size >= MAX_SIZE) return 0;
    if (!isAscii(name) || (linkname !== undefined && !isAscii(linkname))) return 0;
    const nameLength = name.length + slashOf(name, type);
    const linkLength = linkname?.length ?? 0;
    if (nameLength <= 100 && linkLength <= 100) return BLOCK_SIZE;
    const body = (nameLength > 100 ? paxRecordLength('path', nameLength) : 0) + (linkLength > 100 ? paxRecordLength('linkpath', linkLength) : 0);
    return 2 * BLOCK_SIZE + Math.ceil(body / BLOCK_SIZE) * BLOCK_SIZE;
  }

  /**
   * Writes the header of `name` (a directory gets its trailing slash here) into `into` at `at`;
   * `length` is what `length()` returned for the same arguments (not 0).
   */
  write(into: Buffer, at: number, length: number, name: Buffer, type: FastType, mode: number, size: number, linkname?: Buffer): void {
    const template = this.template!;
    const slash = slashOf(name, type);
    let block = at;
    if (length > BLOCK_SIZE) {
      // The pax header: its ustar block, then "<len> path=<name>\n" and/or the link's record.
      const bodyAt = at + BLOCK_SIZE;
      let end = bodyAt;
      if (name.length + slash > 100) end = writeRecord(into, end, 'path', name, slash);
      if (linkname !== undefined && linkname.length > 100) end = writeRecord(into, end, 'linkpath', linkname, 0);
      const blocksEnd = at + length - BLOCK_SIZE;
      into.fill(0, end, blocksEnd);
      writePaxBlock(into, at, end - bodyAt);
      block = blocksEnd;
    }
    // TypedArray#set: a plain memcpy, without Buffer#copy's argument handling per call.
    into.set(template, block);
    let sum = this.templateSum;
    // Names longer than 100 bytes are cut to the field, as CPython does.
    const nameBytes = Math.min(name.length, 100);
    for (let i = 0; i < nameBytes; i++) sum += name[i]!;
    into.set(nameBytes === name.length ? name : name.subarray(0, nameBytes), block);
    if (slash === 1 && name.length < 100) {
      into[block + name.length] = 0x2f;
      sum += 0x2f;
    }
    if (linkname !== undefined) {
      const linkBytes = Math.min(linkname.length, 100);
      for (let i = 0; i < linkBytes; i++) sum += linkname[i]!;
      into.set(linkBytes === linkname.length ? linkname : linkname.subarray(0, linkBytes), block + 157);
    }
    sum += writeOctal(into, block + 100, 7, mode & 0o7777);
    sum += writeOctal(into, block + 124, 11, size);
    into[block + 156] = type;
    sum += type;
    writeChecksum(into, block, sum);
  }
}

// The pax header's own ustar block: fixed but for its size (and so its checksum).
const PAX_TEMPLATE = (() => {
  const block = Buffer.alloc(BLOCK_SIZE);
  block.write('././@PaxHeader', 0, 'ascii');
  block.write('0000000\0', 100, 'ascii');
  block.write('0000000\0', 108, 'ascii');
  block.write('0000000\0', 116, 'ascii');
  block.write('00000000000\0', 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write('x', 156, 'ascii');
  block.write('ustar\x0000', 257, 'latin1');
  return block;
})();
const PAX_TEMPLATE_SUM = checksum(PAX_TEMPLATE);

function writePaxBlock(into: Buffer, at: number, bodyLength: number): void {
  into.set(PAX_TEMPLATE, at);
  const sum = PAX_TEMPLATE_SUM + writeOctal(into, at + 124, 11, bodyLength);
  into[at + 135] = 0;
  writeChecksum(into, at, sum);
}

function writeRecord(into: Buffer, at: number, key: string, value: Buffer, slash: number): number {
  const length = paxRecordLength(key, value.length + slash);
  let end = at + into.write(`${length} ${key}=`, at, 'ascii');
  into.set(value, end);
  end += value.length;
  if (slash === 1) into[end++] = 0x2f;
  into[end++] = 0x0a;
  return end;
}

function prepareTemplate(block: Buffer): void {
  block.fill(0x20, 148, 156); // checksum field counted as spaces
  block.fill(0, 100, 108); // mode
  block.fill(0, 124, 136); // size
  block[156] = 0; // typeflag
}

function slashOf(name: Buffer, type: FastType): number {
  return type === FAST_DIRECTORY && name[name.length - 1] !== 0x2f ? 1 : 0;
}

// Six octal digits, NUL, space: the field as CPython's tarfile writes it.
function writeChecksum(into: Buffer, block: number, sum: number): void {
  writeOctal(into, block + 148, 6, sum);
  into[block + 154] = 0;
  into[block + 155] = 0x20;
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
