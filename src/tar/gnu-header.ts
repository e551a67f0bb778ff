// Header blocks in GNU tar's default `gnu` format (format.md §5.2), the dialect of the
// customisation layer: `ustar  \0` magic, empty owner names, `././@LongLink` entries for long
// names and targets, and base-256 numbers where octal does not fit.
import { BLOCK_SIZE, paddingFor, sealChecksum, TYPE_FLAGS, type TarEntryType } from './header.ts';

/** Entry kinds GNU tar writes for a tree (sockets are skipped, hard links dereferenced). */
export type GnuEntryType = TarEntryType;

/** What a GNU header says about one entry. Names are raw bytes (GNU tar stores them unchanged). */
export interface GnuHeader {
  /** Full name, e.g. `./bin/hello` or `./etc/` (directories must already end in `/`). */
  name: Buffer;
  type: GnuEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname?: Buffer;
  devmajor?: number;
  devminor?: number;
}

// `ustar` followed by two spaces and a NUL: the old GNU magic+version (bytes 257–264).
const GNU_MAGIC = Buffer.from('ustar  \0', 'latin1');
const LONG_LINK_NAME = Buffer.from('././@LongLink', 'latin1');
const NAME_WIDTH = 100;

/**
 * The blocks GNU tar writes for one entry: a `K` LongLink for a target over 100 bytes, an `L`
 * LongLink for a name over 100 bytes (in that order, as GNU tar emits them), then the header.
 */
export function encodeGnuHeader(header: GnuHeader): Buffer {
  const linkname = header.linkname ?? Buffer.alloc(0);
  const parts: Buffer[] = [];
  if (linkname.length > NAME_WIDTH) parts.push(longLink('K', linkname));
  if (header.name.length > NAME_WIDTH) parts.push(longLink('L', header.name));
  const isDevice = header.type === 'char-device' || header.type === 'block-device';
  parts.push(gnuBlock({
    name: header.name,
    mode: header.mode & 0o7777,
    uid: header.uid,
    gid: header.gid,
    size: header.size,
    mtime: header.mtime,
    typeflag: TYPE_FLAGS[header.type],
    linkname,
    device: isDevice ? { major: header.devmajor ?? 0, minor: header.devminor ?? 0 } : undefined,
  }));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

// A LongLink entry: mode 0644, owner 0:0, mtime 0, data = the full name plus a NUL.
function longLink(typeflag: 'K' | 'L', value: Buffer): Buffer {
  const data = Buffer.concat([value, Buffer.alloc(1)]);
  const head = gnuBlock({
    name: LONG_LINK_NAME,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: data.length,
    mtime: 0,
    typeflag,
    linkname: Buffer.alloc(0),
    device: undefined,
  });
  return Buffer.concat([head, data, paddingFor(data.length)]);
}

interface GnuFields {
  name: Buffer;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: Buffer;
  device: { major: number; minor: number } | undefined;
}

function gnuBlock(fields: GnuFields): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  fields.name.copy(block, 0, 0, NAME_WIDTH);
  writeNumber(block, 100, 8, fields.mode);
  writeNumber(block, 108, 8, fields.uid);
  writeNumber(block, 116, 8, fields.gid);
  writeNumber(block, 124, 12, fields.size);
  writeNumber(block, 136, 12, fields.mtime);
  block.write('        ', 148, 'latin1');
  block.write(fields.typeflag, 156, 'latin1');
  fields.linkname.copy(block, 157, 0, NAME_WIDTH);
  GNU_MAGIC.copy(block, 257);
  // uname/gname (265, 297) stay NUL: owners are numeric.
  if (fields.device) {
    writeNumber(block, 329, 8, fields.device.major);
    writeNumber(block, 337, 8, fields.device.minor);
  }
  return sealChecksum(block);
}

/**
 * Octal with `width - 1` digits and a NUL when it fits; otherwise GNU's base-256 form: the whole
 * field big-endian, with the top bit of the first byte set.
 */
function writeNumber(block: Buffer, offset: number, width: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`tar header number out of range: ${value}`);
  if (value < 8 ** (width - 1)) {
    block.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, 'latin1');
    return;
  }
  let rest = BigInt(value);
  for (let i = width - 1; i >= 1; i--) {
    block[offset + i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  block[offset] = 0x80;
}
