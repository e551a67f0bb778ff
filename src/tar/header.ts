// The tar header encoder for store layers and the outer docker-archive.
// Hand-written on purpose: layer digests must be byte-identical to nixpkgs', whose
// streamer writes CPython tarfile's PAX dialect (format.md §3). Every field is explicit.

/** Entry kinds that can appear in a layer. Hard links are never written (format.md §4.2). */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'char-device' | 'block-device' | 'fifo';

/** Everything a header says about one entry. Names may be raw bytes (undecodable file names). */
export interface TarHeader {
  name: string | Buffer;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  size: number;
  mtime: number;
  linkname?: string | Buffer;
  devmajor?: number;
  devminor?: number;
  /** pax records carried over from an entry read elsewhere, written first and kept in order. */
  pax?: ReadonlyArray<readonly [string, string | Buffer]>;
}

export const BLOCK_SIZE = 512;
/** Archives end with two zero blocks padded to a multiple of this (CPython's RECORDSIZE). */
export const RECORD_SIZE = 20 * BLOCK_SIZE;

/** The typeflag byte of each entry kind; the same in the PAX and GNU dialects. */
export const TYPE_FLAGS: Record<TarEntryType, string> = {
  file: '0',
  symlink: '2',
  'char-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
};

const USTAR_MAGIC = Buffer.from('ustar\x0000', 'latin1');

/** The header block(s) for one entry: an optional pax header with its records, then the ustar block. */
export function encodeHeader(header: TarHeader): Buffer {
  const name = withDirectorySlash(toBytes(header.name), header.type);
  const linkname = toBytes(header.linkname ?? '');
  const records = new Map<string, Buffer>();
  for (const [key, value] of header.pax ?? []) records.set(key, toBytes(value));

  const textFields: Array<[key: string, value: Buffer, width: number]> = [
    ['path', name, 100],
    ['linkpath', linkname, 100],
    ['uname', Buffer.from(header.uname, 'utf8'), 32],
    ['gname', Buffer.from(header.gname, 'utf8'), 32],
  ];
  for (const [key, value, width] of textFields) {
    if (records.has(key)) continue;
    if (!isAscii(value) || value.length > width) records.set(key, value);
  }

  const numbers = { uid: header.uid, gid: header.gid, size: header.size, mtime: header.mtime };
  const fieldValues = { ...numbers };
  for (const [key, digits] of [['uid', 8], ['gid', 8], ['size', 12], ['mtime', 12]] as const) {
    const value = numbers[key];
    if (!(value >= 0 && value < 8 ** (digits - 1))) {
      fieldValues[key] = 0;
      records.set(key, Buffer.from(String(value), 'ascii'));
    }
  }

  const ustar = ustarBlock({
    name: asciiReplace(name),
    mode: header.mode & 0o7777,
    uid: fieldValues.uid,
    gid: fieldValues.gid,
    size: fieldValues.size,
    mtime: fieldValues.mtime,
    typeflag: TYPE_FLAGS[header.type],
    linkname: asciiReplace(linkname),
    uname: asciiReplace(Buffer.from(header.uname, 'utf8')),
    gname: asciiReplace(Buffer.from(header.gname, 'utf8')),
    device: header.type === 'char-device' || header.type === 'block-device'
      ? { major: header.devmajor ?? 0, minor: header.devminor ?? 0 }
      : undefined,
  });
  if (records.size === 0) return ustar;
  return Buffer.concat([paxHeader(records), ustar]);
}

/** NUL bytes that pad `size` bytes of entry data to a whole block. */
export function paddingFor(size: number): Buffer {
  const remainder = size % BLOCK_SIZE;
  return Buffer.alloc(remainder === 0 ? 0 : BLOCK_SIZE - remainder);
}

/** The end of an archive that has `offset` bytes so far: two zero blocks, then record padding. */
export function endOfArchive(offset: number): Buffer {
  const afterBlocks = offset + 2 * BLOCK_SIZE;
  const remainder = afterBlocks % RECORD_SIZE;
  return Buffer.alloc(2 * BLOCK_SIZE + (remainder === 0 ? 0 : RECORD_SIZE - remainder));
}

function paxHeader(records: Map<string, Buffer>): Buffer {
  const binary = [...records.values()].some((value) => !isValidUtf8(value));
  const lines: Buffer[] = [];
  if (binary) lines.push(Buffer.from('21 hdrcharset=BINARY\n', 'ascii'));
  for (const [key, value] of records) lines.push(paxRecord(key, value));
  const body = Buffer.concat(lines);
  const head = ustarBlock({
    name: Buffer.from('././@PaxHeader', 'ascii'),
    mode: 0,
    uid: 0,
    gid: 0,
    size: body.length,
    mtime: 0,
    typeflag: 'x',
    linkname: Buffer.alloc(0),
    uname: Buffer.alloc(0),
    gname: Buffer.alloc(0),
    device: undefined,
  });
  return Buffer.concat([head, body, paddingFor(body.length)]);
}

/** `"<len> <key>=<value>\n"` where len counts the whole record, its own digits included. */
function paxRecord(key: string, value: Buffer): Buffer {
  const length = paxRecordLength(key, value.length);
  return Buffer.concat([Buffer.from(`${length} ${key}=`, 'utf8'), value, Buffer.from('\n', 'ascii')]);
}

/** The `<len>` of a PAX record: its whole length in bytes, its own digits included. */
export function paxRecordLength(key: string, valueLength: number): number {
  const fixed = Buffer.byteLength(key, 'utf8') + valueLength + 3;
  let length = fixed;
  for (;;) {
    const next = fixed + String(length).length;
    if (next === length) return length;
    length = next;
  }
}

interface UstarFields {
  name: Buffer;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: Buffer;
  uname: Buffer;
  gname: Buffer;
  device: { major: number; minor: number } | undefined;
}

function ustarBlock(fields: UstarFields): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  fields.name.copy(block, 0, 0, 100);
  block.write(octal(fields.mode, 8), 100, 'ascii');
  block.write(octal(fields.uid, 8), 108, 'ascii');
  block.write(octal(fields.gid, 8), 116, 'ascii');
  block.write(octal(fields.size, 12), 124, 'ascii');
  block.write(octal(fields.mtime, 12), 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write(fields.typeflag, 156, 'ascii');
  fields.linkname.copy(block, 157, 0, 100);
  USTAR_MAGIC.copy(block, 257);
  fields.uname.copy(block, 265, 0, 32);
  fields.gname.copy(block, 297, 0, 32);
  if (fields.device) {
    block.write(octal(fields.device.major, 8), 329, 'ascii');
    block.write(octal(fields.device.minor, 8), 337, 'ascii');
  }
  return sealChecksum(block);
}

/** Writes the checksum field of a block whose checksum field holds spaces: `%06o`, NUL, space. */
export function sealChecksum(block: Buffer): Buffer {
  block.write(`${checksum(block).toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

/** The sum of all header bytes with the checksum field counted as spaces (it is filled with spaces here). */
export function checksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) sum += block[i]!;
  return sum;
}

/** `width - 1` zero-padded octal digits and a NUL. Callers guarantee the value fits. */
function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function toBytes(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function withDirectorySlash(name: Buffer, type: TarEntryType): Buffer {
  if (type !== 'directory' || name[name.length - 1] === 0x2f) return name;
  return Buffer.concat([name, Buffer.from('/', 'ascii')]);
}

/** True when every byte is below 0x80. */
export function isAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function isValidUtf8(bytes: Buffer): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * The ustar field form of a name: each non-ASCII character (or undecodable byte) becomes
 * one `?`, as CPython encodes with ("ascii", "replace").
 */
function asciiReplace(bytes: Buffer): Buffer {
  if (isAscii(bytes)) return bytes;
  const out: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i]!;
    if (byte < 0x80) {
      out.push(byte);
      i += 1;
      continue;
    }
    const length = utf8SequenceLength(bytes, i);
    out.push(0x3f);
    i += length;
  }
  return Buffer.from(out);
}

/** Length of a valid UTF-8 sequence starting at `i`, or 1 for an undecodable byte. */
function utf8SequenceLength(bytes: Buffer, i: number): number {
  const lead = bytes[i]!;
  const length = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 && lead < 0xe0 ? 2 : 1;
  if (length === 1 || i + length > bytes.length) return 1;
  return isValidUtf8(bytes.subarray(i, i + length)) ? length : 1;
}
