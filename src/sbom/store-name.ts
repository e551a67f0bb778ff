// A store path's name split into package name and version the way Nix's builtins.parseDrvName
// splits a derivation name (src/libexpr/names.cc, DrvName::DrvName): the name is everything up
// to the first `-` that is followed by a character that is not an ASCII letter; the version is
// the rest. `hello-2.12.1` → hello / 2.12.1, `perl5.36-foo-1.0` → perl5.36-foo / 1.0,
// `bash-interactive` → bash-interactive / (none).

/** What a store path's basename says: its hash part, package name and version ('' when none). */
export interface StorePathName {
  readonly hash: string;
  readonly name: string;
  readonly version: string;
}

const isAsciiLetter = (char: string): boolean => /^[A-Za-z]$/.test(char);

/** Splits a derivation-style name (`<name>-<version>`) as builtins.parseDrvName does. */
export function parseDrvName(text: string): { name: string; version: string } {
  for (let i = 0; i + 1 < text.length; i++) {
    if (text[i] === '-' && !isAsciiLetter(text[i + 1]!)) return { name: text.slice(0, i), version: text.slice(i + 1) };
  }
  return { name: text, version: '' };
}

/** Hash, name and version of `/nix/store/<32-char hash>-<name>`; `storeDir` is the store's directory. */
export function parseStorePathName(path: string, storeDir: string): StorePathName {
  const base = path.startsWith(`${storeDir}/`) ? path.slice(storeDir.length + 1) : path;
  const dash = base.indexOf('-');
  return dash < 0 ? { hash: base, name: '', version: '' } : { hash: base.slice(0, dash), ...parseDrvName(base.slice(dash + 1)) };
}
