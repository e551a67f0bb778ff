// `nix-strata inspect IMAGE`: a human-readable summary of a docker-archive's layers and config.
import { sha256Digest, type Digest } from '../digest/digest.ts';
import { isJsonObject, stringifyLossless, type JsonValue } from '../json/lossless.ts';
import { readDockerArchive } from '../sources/docker-archive.ts';

/** One layer as inspect reports it. */
export interface InspectedLayer {
  readonly index: number;
  readonly member: string;
  readonly size: number;
  readonly diffId: Digest;
  /** Store paths (or a base member name) from the history comment; empty when there is none. */
  readonly storePaths: readonly string[];
}

/** What inspect reports about an archive. */
export interface Inspection {
  readonly path: string;
  readonly imageId: Digest;
  readonly repoTags: readonly string[];
  readonly created: string | undefined;
  readonly architecture: string | undefined;
  readonly os: string | undefined;
  readonly config: JsonValue;
  readonly layers: readonly InspectedLayer[];
}

/** Reads an archive (plain, gzip, zstd, bzip2 or xz) and collects its layer and config summary. */
export async function inspectArchive(path: string): Promise<Inspection> {
  const archive = await readDockerArchive(path);
  const config = isJsonObject(archive.config) ? archive.config : {};
  // Docker's empty_layer entries have no layer; the rest pair with the layers in order.
  const history = (Array.isArray(config['history']) ? config['history'] : [])
    .filter((entry) => !(isJsonObject(entry) && entry['empty_layer'] === true));
  const layers = await Promise.all(archive.layers.map(async (layer, index) => {
    const entry = history[index];
    const comment = isJsonObject(entry) && typeof entry['comment'] === 'string' ? entry['comment'] : '';
    return {
      index: index + 1,
      member: layer.sourceMember.name,
      size: await layer.size(),
      diffId: archive.diffIds[index]!,
      storePaths: parseStorePathsComment(comment),
    };
  }));
  const text = (key: string) => (typeof config[key] === 'string' ? config[key] : undefined);
  return {
    path,
    imageId: sha256Digest(archive.rawConfig),
    repoTags: archive.repoTags,
    created: text('created'),
    architecture: text('architecture'),
    os: text('os'),
    config: config['config'] ?? null,
    layers,
  };
}

/** The strings of a `store paths: ['…', "…"]` history comment (Python list literal); [] otherwise. */
export function parseStorePathsComment(comment: string): string[] {
  const match = /^store paths: \[(.*)\]$/s.exec(comment);
  if (!match) return [];
  const items: string[] = [];
  for (const item of match[1]!.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g)) {
    items.push((item[1] ?? item[2] ?? '').replace(/\\(.)/g, '$1'));
  }
  return items;
}

/** The text inspect prints. */
export function formatInspection(inspection: Inspection): string {
  const lines = [
    `image:        ${inspection.path}`,
    `id:           ${inspection.imageId}`,
    `repo tags:    ${inspection.repoTags.join(', ') || '(none)'}`,
    `created:      ${inspection.created ?? '(unset)'}`,
    `platform:     ${inspection.os ?? '?'}/${inspection.architecture ?? '?'}`,
    `layers:       ${inspection.layers.length}, ${inspection.layers.reduce((sum, layer) => sum + layer.size, 0)} bytes`,
    '',
  ];
  for (const layer of inspection.layers) {
    lines.push(`${String(layer.index).padStart(3)}  ${layer.member}  ${layer.size} bytes`);
    lines.push(`     diff_id ${layer.diffId}`);
    for (const path of layer.storePaths) lines.push(`     ${path}`);
  }
  lines.push('', 'config:');
  const config = inspection.config;
  if (isJsonObject(config)) {
    for (const [key, value] of Object.entries(config)) lines.push(`  ${key}: ${stringifyLossless(value)}`);
  } else {
    lines.push(`  ${stringifyLossless(config)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** inspectArchive then formatInspection: what the CLI prints for IMAGE. */
export async function describeArchive(path: string): Promise<string> {
  return formatInspection(await inspectArchive(path));
}
