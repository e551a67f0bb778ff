// The iteration order of a CPython set of frozensets of str, as nixpkgs' auto-layer.py sees it
// (its Python runs with PYTHONHASHSEED=0): layers of equal closureSize keep that order after
// its stable sort, so reproducing it reproduces nixpkgs' layer order exactly. Modelled on
// CPython 3.11–3.13: str hashes are SipHash-1-3 with a zero key (hash randomisation off),
// frozenset hashes XOR shuffled member hashes, and the set is an open-addressing table
// (9 linear probes, then perturbed jumps) that grows to 4× its size at 60% fill.

const MASK64 = (1n << 64n) - 1n;

const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & MASK64;

/** CPython's hash() of an ASCII str with PYTHONHASHSEED=0, as an unsigned 64-bit value. */
export function strHash(text: string): bigint {
  const bytes = Buffer.from(text, 'latin1');
  let v0 = 0x736f6d6570736575n;
  let v1 = 0x646f72616e646f6dn;
  let v2 = 0x6c7967656e657261n;
  let v3 = 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & MASK64; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK64; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & MASK64; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & MASK64; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const whole = bytes.length - (bytes.length % 8);
  for (let at = 0; at < whole; at += 8) {
    const m = bytes.readBigUInt64LE(at);
    v3 ^= m;
    round();
    v0 ^= m;
  }
  let last = BigInt(bytes.length & 0xff) << 56n;
  for (let i = bytes.length - 1; i >= whole; i--) last |= BigInt(bytes[i]!) << BigInt(8 * (i - whole));
  v3 ^= last;
  round();
  v0 ^= last;
  v2 ^= 0xffn;
  round();
  round();
  round();
  const hash = (v0 ^ v1 ^ v2 ^ v3) & MASK64;
  // -1 is CPython's error value; hash() gives -2 instead.
  return hash === MASK64 ? MASK64 - 1n : hash;
}

const shuffle = (h: bigint): bigint => (((h ^ 89869747n) ^ (h << 16n)) * 3644798167n) & MASK64;

/** CPython's hash() of a frozenset of the given str hashes, unsigned 64-bit. */
export function frozensetHash(memberHashes: readonly bigint[]): bigint {
  let hash = 0n;
  for (const h of memberHashes) hash ^= shuffle(h);
  hash ^= (BigInt(memberHashes.length) + 1n) * 1927868237n & MASK64;
  hash ^= (hash >> 11n) ^ (hash >> 25n);
  hash = (hash * 69069n + 907133923n) & MASK64;
  return hash === MASK64 ? 590923713n : hash;
}

const LINEAR_PROBES = 9;
const PERTURB_SHIFT = 5n;

/**
 * The order in which CPython iterates `set(items)` for items given in insertion order, each
 * with its hash and a key deciding equality: the distinct keys, in table order.
 */
export function setIterationOrder<T>(items: readonly T[], hashOf: (item: T) => bigint, keyOf: (item: T) => string): T[] {
  let table: ({ item: T; hash: bigint; key: string } | undefined)[] = new Array(8).fill(undefined);
  let used = 0;
  const slotFor = (entries: typeof table, hash: bigint, key: string | undefined): number => {
    const mask = entries.length - 1;
    let perturb = hash;
    let i = Number(hash & BigInt(mask));
    while (true) {
      const probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
      for (let j = 0; j <= probes; j++) {
        const entry = entries[i + j];
        if (entry === undefined || (key !== undefined && entry.hash === hash && entry.key === key)) return i + j;
      }
      perturb >>= PERTURB_SHIFT;
      i = Number((BigInt(i) * 5n + 1n + perturb) & BigInt(mask));
    }
  };
  for (const item of items) {
    const hash = hashOf(item);
    const key = keyOf(item);
    const at = slotFor(table, hash, key);
    if (table[at] !== undefined) continue;
    table[at] = { item, hash, key };
    used++;
    const mask = table.length - 1;
    if (used * 5 < mask * 3) continue;
    // No deletions happen here, so fill equals used.
    let size = 8;
    while (size <= (used > 50000 ? used * 2 : used * 4)) size *= 2;
    const grown: typeof table = new Array(size).fill(undefined);
    for (const entry of table) if (entry !== undefined) grown[slotFor(grown, entry.hash, undefined)] = entry;
    table = grown;
  }
  return table.filter((entry) => entry !== undefined).map((entry) => entry!.item);
}
