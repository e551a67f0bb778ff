// What is fuzzed: the fromImage reader (read, then copy every layer as the stream does), the
// closure-graph parser (JSON and legacy text, then layer planning) and the pipeline parser
// (then evaluation over a small graph). Inputs are valid ones, mutated.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { parseClosureGraph } from '../../src/closure/parse.ts';
import { readConf } from '../../src/conf/conf.ts';
import { parseSpec } from '../../src/conf/spec.ts';
import { normaliseDate, normaliseMtime } from '../../src/image/date.ts';
import type { ClosureGraph } from '../../src/closure/graph.ts';
import { assembleImage } from '../../src/image/assemble.ts';
import { planLayers } from '../../src/layering/plan.ts';
import { writeDockerArchive } from '../../src/sinks/docker-archive.ts';
import { bytesLayer } from '../../src/sources/bytes-layer.ts';
import { readDockerArchive } from '../../src/sources/docker-archive.ts';
import type { TarHeader } from '../../src/tar/header.ts';
import { collect, recordingLogger, sha, tarOf, vectorC, vectorE } from '../sinks/vectors.ts';
import type { FuzzCase, FuzzTarget, Random } from './harness.ts';

// ---- byte-level mutations ---------------------------------------------------------------

function truncate(bytes: Buffer, random: Random): [Buffer, string] {
  const at = random.int(0, bytes.length);
  return [bytes.subarray(0, at), `truncate@${at}`];
}

function flip(bytes: Buffer, random: Random): [Buffer, string] {
  const copy = Buffer.from(bytes);
  const count = random.int(1, 8);
  // Half the time aim at the first 4 KiB (headers, JSON), where damage is most interesting.
  const span = random.chance(0.5) ? Math.min(copy.length, 4096) : copy.length;
  const where: number[] = [];
  for (let i = 0; i < count && span > 0; i++) {
    const at = random.int(0, span - 1);
    copy[at] = random.int(0, 255);
    where.push(at);
  }
  return [copy, `flip@${where.join(',')}`];
}

function splice(bytes: Buffer, random: Random): [Buffer, string] {
  const blocks = Math.max(1, Math.floor(bytes.length / 512));
  const from = random.int(0, blocks - 1) * 512;
  const length = random.int(1, 4) * 512;
  const to = random.int(0, blocks) * 512;
  const piece = bytes.subarray(from, from + length);
  const out = random.chance(0.5)
    ? Buffer.concat([bytes.subarray(0, to), piece, bytes.subarray(to)])
    : Buffer.concat([bytes.subarray(0, to), piece, bytes.subarray(Math.min(bytes.length, to + piece.length))]);
  return [out, `splice ${from}+${length}->${to}`];
}

function mutateBytes(bytes: Buffer, random: Random): [Buffer, string] {
  const steps: string[] = [];
  let out = bytes;
  for (let i = random.int(1, 2); i > 0; i--) {
    const [next, what] = random.pick([truncate, flip, flip, splice])(out, random);
    out = next;
    steps.push(what);
  }
  return [out, steps.join(' ')];
}

// ---- JSON-level mutations ----------------------------------------------------------------

const NASTY_STRINGS = ['', '..', '../x', '/etc/passwd', 'a/../../b', './manifest.json', 'cfg.json', 'l/layer.tar', 'sha256:', `sha256:${'0'.repeat(64)}`, 'sha256:zz', '\u0000', 'é'];

function randomValue(random: Random, depth = 0): unknown {
  switch (random.int(0, depth > 2 ? 4 : 6)) {
    case 0: return null;
    case 1: return random.pick([0, -1, 1.5, 1e308, 2 ** 53 + 1, true, false]);
    case 2: return random.pick(NASTY_STRINGS);
    case 3: return 'x'.repeat(random.int(0, 300));
    case 4: return random.int(0, 3);
    case 5: return Array.from({ length: random.int(0, 3) }, () => randomValue(random, depth + 1));
    default: return Object.fromEntries(Array.from({ length: random.int(0, 3) }, (_, i) => [random.pick(['Config', 'Layers', 'rootfs', 'diff_ids', 'Env', `k${i}`]), randomValue(random, depth + 1)]));
  }
}

/** Replaces, deletes or duplicates one node somewhere in a JSON tree (in place on a copy). */
function mutateJson(value: unknown, random: Random): [unknown, string] {
  const root = structuredClone(value) as unknown;
  let node: unknown = root;
  const path: string[] = [];
  for (let depth = random.int(0, 4); depth > 0; depth--) {
    const keys = containerKeys(node);
    if (keys.length === 0) break;
    const key = random.pick(keys);
    const child = (node as Record<string, unknown>)[key];
    if (containerKeys(child).length === 0) break;
    node = child;
    path.push(key);
  }
  const keys = containerKeys(node);
  if (keys.length === 0) return [randomValue(random), 'replace root'];
  const key = random.pick(keys);
  const container = node as Record<string, unknown>;
  const action = random.int(0, 2);
  if (action === 0) {
    if (Array.isArray(container)) container.splice(Number(key), 1);
    else delete container[key];
    return [root, `delete ${[...path, key].join('.')}`];
  }
  if (action === 1 && Array.isArray(container)) {
    container.push(container[Number(key)]);
    return [root, `duplicate ${[...path, key].join('.')}`];
  }
  container[key] = randomValue(random);
  return [root, `replace ${[...path, key].join('.')}`];
}

function containerKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((_, i) => String(i));
  return typeof value === 'object' && value !== null ? Object.keys(value) : [];
}

function mutateText(text: string, random: Random): [string, string] {
  const tokens = ['null', '"', ']', '[', '{', '}', ',', ':', '-1', '1e309', '"/nix/store/x"', '\n', '0', '\\', '99999999999999999999'];
  let out = text;
  const steps: string[] = [];
  for (let i = random.int(1, 3); i > 0; i--) {
    const at = random.int(0, out.length);
    switch (random.int(0, 3)) {
      case 0: out = out.slice(0, at); steps.push(`cut@${at}`); break;
      case 1: { const t = random.pick(tokens); out = out.slice(0, at) + t + out.slice(at); steps.push(`insert ${JSON.stringify(t)}@${at}`); break; }
      case 2: { const n = random.int(1, 10); out = out.slice(0, at) + out.slice(at + n); steps.push(`delete ${n}@${at}`); break; }
      default: { const line = out.split('\n'); const j = random.int(0, Math.max(0, line.length - 1)); line.splice(j, 0, line[random.int(0, line.length - 1)] ?? ''); out = line.join('\n'); steps.push(`dup-line ${j}`); }
    }
  }
  return [out, steps.join(' ')];
}

// ---- fromImage reader ----------------------------------------------------------------------

interface ArchiveContext {
  dir: string;
  plain: Buffer;
  gzipped: Buffer;
  zstd: Buffer;
  gzLayer: Buffer;
  manifest: unknown;
  config: unknown;
}

const member = (name: string, data: Buffer): [TarHeader, Buffer] =>
  [{ name, type: 'file', mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', size: data.length, mtime: 1 }, data];

const discard = (): Writable => new Writable({ write: (_chunk, _encoding, callback) => callback() });

/** Reads the archive, then copies every layer as `stream` would (which verifies diff_ids). */
async function readAndCopy(path: string): Promise<void> {
  const base = await readDockerArchive(path);
  for (const layer of base.layers) await layer.digest();
  const image = assembleImage({
    baseImage: base, storeLayers: [], customisationLayer: bytesLayer(vectorE(), { origin: ['/c'], kind: 'customisation' }),
    architecture: 'amd64', config: {}, created: '1970-01-01T00:00:01+00:00',
  });
  await writeDockerArchive(image, discard(), { repoTags: ['fuzz:1'], mtime: 1, log: recordingLogger() });
}

const dockerArchive: FuzzTarget = {
  async setup(): Promise<ArchiveContext> {
    const dir = await mkdtemp(join(tmpdir(), 'strata-fuzz-'));
    // The §2.4 vector image, built from memory (vectorImage() would leave a directory behind).
    const image = assembleImage({
      storeLayers: [bytesLayer(vectorC(), { origin: ['/nix/store/c'], kind: 'store' })],
      customisationLayer: bytesLayer(vectorE(), { origin: ['/nix/store/e'], kind: 'customisation' }),
      architecture: 'amd64', config: { Env: ['PATH=/bin'] }, created: '1970-01-01T00:00:01+00:00',
    });
    const plain = await collect((output) => writeDockerArchive(image, output, { repoTags: ['base:1'], mtime: 1, log: recordingLogger() }));
    const zstd = Buffer.from((await execa('zstd', ['-c', '-q'], { input: plain, encoding: 'buffer' })).stdout);
    const manifest = [{ Config: 'cfg.json', RepoTags: ['base:1'], Layers: ['a/layer.tar', 'b/layer.tar.gz'] }];
    const config = { architecture: 'amd64', os: 'linux', config: { Env: ['A=1'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${sha(vectorC())}`, `sha256:${sha(vectorE())}`] } };
    return { dir, plain, gzipped: gzipSync(plain), zstd, gzLayer: gzipSync(vectorE()), manifest, config };
  },
  makeCase(random, contextValue, index): FuzzCase {
    const context = contextValue as ArchiveContext;
    let bytes: Buffer;
    let description: string;
    const kind = random.int(0, 5);
    if (kind <= 1) {
      [bytes, description] = mutateBytes(context.plain, random);
      description = `plain: ${description}`;
    } else if (kind === 2) {
      // gzip garbage: damage the compressed stream itself, or gzip a damaged tar.
      if (random.chance(0.5)) {
        [bytes, description] = mutateBytes(context.gzipped, random);
        description = `gzip stream: ${description}`;
      } else {
        const [inner, what] = mutateBytes(context.plain, random);
        bytes = gzipSync(inner);
        description = `gzip of: ${what}`;
      }
    } else if (kind === 3) {
      [bytes, description] = random.chance(0.3) ? [context.zstd, 'zstd intact'] : mutateBytes(context.zstd, random);
      description = `zstd: ${description}`;
    } else {
      // Structural: well-formed tar, damaged manifest or config JSON (or both), with a gzip layer.
      const [manifest, m] = random.chance(0.6) ? mutateJson(context.manifest, random) : [context.manifest, 'manifest intact'];
      const [config, c] = random.chance(0.6) ? mutateJson(context.config, random) : [context.config, 'config intact'];
      const rawConfig = random.chance(0.1) ? '{"rootfs": ' : JSON.stringify(config);
      bytes = tarOf([member('a/layer.tar', vectorC()), member('b/layer.tar.gz', context.gzLayer), member('cfg.json', Buffer.from(rawConfig)), member('manifest.json', Buffer.from(JSON.stringify(manifest) ?? ''))]);
      description = `json: ${m}; ${c}`;
    }
    const path = join(context.dir, `case-${index}`);
    return {
      description,
      async run() {
        await writeFile(path, bytes);
        try {
          await readAndCopy(path);
        } finally {
          await rm(path, { force: true });
        }
      },
    };
  },
  async teardown(contextValue) {
    await rm((contextValue as ArchiveContext).dir, { recursive: true, force: true });
  },
};

// ---- closure graph --------------------------------------------------------------------------

const STORE = '/nix/store';
const P = (name: string) => `${STORE}/${name.padEnd(32, name[0])}-${name}`;
const SAMPLE_NODES = [
  { path: P('glibc'), narSize: 3000, references: [P('glibc')] },
  { path: P('zlib'), narSize: 100, references: [P('glibc')] },
  { path: P('openssl'), narSize: 900, references: [P('glibc'), P('zlib')] },
  { path: P('curl'), narSize: 400, references: [P('openssl'), P('zlib'), P('glibc')] },
  { path: P('app'), narSize: 50, references: [P('curl'), P('bash')] },
  { path: P('bash'), narSize: 700, references: [P('glibc')] },
  { path: P('customisation'), narSize: 10, references: [P('app')] },
];

function legacyText(nodes: ReadonlyArray<{ path: string; references: readonly string[] }>): string {
  return nodes.map((n) => [n.path, '', String(n.references.length), ...n.references].join('\n')).join('\n') + '\n';
}

/** Plans layers for a parsed graph with a random strategy and budget (errors must be UserErrors too). */
function plan(graph: ClosureGraph, random: Random): string {
  const strategy = random.pick(['popularity', 'auto'] as const);
  const maxLayers = random.pick([-1, 0, 1, 2, 3, 5, 100, 1.5]);
  planLayers(graph, { strategy, maxLayers, baseLayerCount: random.int(0, 3), excluded: [random.pick(SAMPLE_NODES).path] });
  return `${strategy} maxLayers=${maxLayers}`;
}

const closureGraph: FuzzTarget = {
  async setup() {
    return undefined;
  },
  makeCase(random): FuzzCase {
    const format = random.int(0, 2);
    let text: string;
    let description: string;
    if (format === 0) {
      [text, description] = mutateText(JSON.stringify(SAMPLE_NODES, null, random.chance(0.5) ? 1 : 0), random);
      description = `json text: ${description}`;
    } else if (format === 1) {
      const [value, what] = mutateJson(SAMPLE_NODES, random);
      text = JSON.stringify(value) ?? '';
      description = `json tree: ${what}`;
    } else {
      [text, description] = mutateText(legacyText(SAMPLE_NODES), random);
      description = `legacy: ${description}`;
    }
    return {
      description,
      run() {
        const graph = parseClosureGraph(text, { source: 'fuzz', storeDir: STORE });
        plan(graph, random);
      },
    };
  },
};

// ---- layering pipeline ------------------------------------------------------------------------

const OPS = ['popularity_contest', 'limit_layers', 'split_every', 'flatten', 'over', 'map', 'pipe', 'remove_paths', 'reverse', 'subcomponent_in', 'subcomponent_out', 'split_paths', 'nonsense'];

function randomStep(random: Random, depth: number): unknown {
  if (random.chance(0.05)) return randomValue(random);
  const op = random.pick(OPS);
  const paths = () => Array.from({ length: random.int(0, 3) }, () => random.chance(0.8) ? random.pick(SAMPLE_NODES).path : randomValue(random));
  const inner = () => (depth > 3 ? ['flatten'] : randomStep(random, depth + 1));
  const args: unknown[] = (() => {
    switch (op) {
      case 'limit_layers': case 'split_every': return [random.pick([-1, 0, 1, 2, 3, 100, 1.5, '2', null])];
      case 'over': return [random.pick(['main', 'rest', P('app'), 'nope']), inner()];
      case 'map': return [inner()];
      case 'pipe': return [Array.from({ length: random.int(0, 3) }, inner)];
      case 'remove_paths': case 'subcomponent_in': case 'subcomponent_out': return [paths()];
      case 'split_paths': return [Array.from({ length: random.int(0, 2) }, () => (random.chance(0.7) ? random.pick(SAMPLE_NODES).path : { childrenOf: paths() }))];
      default: return [];
    }
  })();
  // Sometimes the wrong number of arguments.
  if (random.chance(0.1)) args.push(randomValue(random));
  if (random.chance(0.05)) args.pop();
  return [op, ...args];
}

let sampleGraph: ClosureGraph | undefined;

const pipeline: FuzzTarget = {
  async setup() {
    sampleGraph = parseClosureGraph(JSON.stringify(SAMPLE_NODES), { source: 'sample', storeDir: STORE });
    return undefined;
  },
  makeCase(random): FuzzCase {
    const steps = random.chance(0.03) ? randomValue(random) : Array.from({ length: random.int(0, 5) }, () => randomStep(random, 0));
    return {
      description: JSON.stringify(steps) ?? String(steps),
      run() {
        planLayers(sampleGraph!, { maxLayers: 100, pipeline: steps, excluded: [P('customisation')] });
      },
    };
  },
};

// ---- spec and conf -------------------------------------------------------------------------------

const SAMPLE_SPEC = {
  version: 1, imageName: 'app', tag: null, architecture: 'amd64',
  created: '1970-01-01T00:00:01Z', mtime: '2024-02-29T23:59:60+01:00', uid: 0, gid: 0, uname: 'root', gname: 'root',
  maxLayers: 100, layeringStrategy: 'popularity', layeringPipeline: null, fromImage: null,
  baseJson: P('base'), customisationLayer: P('customisation'), customisationContents: null, includeStorePaths: true, storeDir: STORE, givenLayers: [],
};
const SAMPLE_CONF = {
  version: 1, architecture: 'amd64', config: { Cmd: ['/bin/app'], Env: ['A=1'] },
  created: '1970-01-01T00:00:01+00:00', mtime: 1, owner: { uid: 0, gid: 0, uname: 'root', gname: 'root' },
  storeDir: STORE, fromImage: null,
  storeLayers: [{ paths: [P('glibc')] }, { paths: [P('app'), P('bash')] }],
  customisationLayer: P('customisation'),
};
const DATES = ['now', '1970-01-01T00:00:01Z', '2024-13-01T00:00:00Z', '2024-02-30', '1969-12-31T23:59:59Z', '+275760-09-13T00:00:00Z', '', 'T', '2024-01-01T00:00:00.123456789Z', '9999-12-31T23:59:60-23:59'];

const specAndConf: FuzzTarget = {
  async setup() {
    return mkdtemp(join(tmpdir(), 'strata-fuzz-conf-'));
  },
  makeCase(random, contextValue, index): FuzzCase {
    if (random.chance(0.5)) {
      const [mutated, what] = mutateJson(SAMPLE_SPEC, random);
      const spec = mutated as Record<string, unknown>;
      if (random.chance(0.3) && typeof spec === 'object' && spec !== null) spec[random.pick(['created', 'mtime'])] = random.pick(DATES);
      return {
        description: `spec: ${what}`,
        run() {
          const parsed = parseSpec(spec);
          normaliseDate(parsed.created, 'created');
          normaliseMtime(parsed.mtime, 'mtime');
        },
      };
    }
    const [text, what] = random.chance(0.5)
      ? mutateText(JSON.stringify(SAMPLE_CONF, null, 2), random)
      : [JSON.stringify(mutateJson(SAMPLE_CONF, random)[0]) ?? '', 'conf tree'];
    const path = join(contextValue as string, `conf-${index}.json`);
    return {
      description: `conf: ${what}`,
      async run() {
        await writeFile(path, text);
        try {
          await readConf(path);
        } finally {
          await rm(path, { force: true });
        }
      },
    };
  },
  async teardown(contextValue) {
    await rm(contextValue as string, { recursive: true, force: true });
  },
};

/** Targets by name, for the worker. */
export const targets: Record<string, FuzzTarget> = { 'docker-archive': dockerArchive, 'closure-graph': closureGraph, pipeline, 'spec-and-conf': specAndConf };
