// The size of a path's NAR serialisation (the `narSize` Nix records), computed without
// serialising: the conf derivation builds the customisation layer itself, so it must describe
// that output in the closure graph exactly as Nix would, and the auto strategy ranks by size.
//
// NAR framing: every string is an 8-byte length followed by its bytes, zero-padded to 8.

/** One regular file of a flat directory. */
export interface NarFile {
  readonly name: string;
  readonly size: number;
  readonly executable?: boolean;
}

function field(length: number): number {
  return 8 + Math.ceil(length / 8) * 8;
}

const words = (...tokens: string[]): number => tokens.reduce((sum, token) => sum + field(Buffer.byteLength(token)), 0);

/** narSize of a directory that holds only regular files (no subdirectories, no symlinks). */
export function narSizeOfFlatDirectory(files: readonly NarFile[]): number {
  let size = words('nix-archive-1', '(', 'type', 'directory');
  for (const file of files) {
    size += words('entry', '(', 'name') + field(Buffer.byteLength(file.name));
    size += words('node', '(', 'type', 'regular');
    if (file.executable === true) size += words('executable', '');
    size += words('contents') + field(file.size);
    size += words(')', ')');
  }
  return size + words(')');
}
