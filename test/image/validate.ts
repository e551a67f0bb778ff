// The invariants every Image must keep, whatever made it (ggcr's `validate`, style.md §5.6):
// config digest and diff_ids, each layer's blob digest and size and its diff_id against the
// (decompressed) bytes, the compression its bytes announce, and the manifest of both schemas
// against the blobs. Every mismatch is collected; one assertion reports them all.
import assert from 'node:assert/strict';
import { digestOf, sha256Digest } from '../../src/digest/digest.ts';
import { decompressed, sniffCompression } from '../../src/image/decompress.ts';
import { manifestOf } from '../../src/image/manifest.ts';
import { layerMediaType, SCHEMA_MEDIA_TYPES, type ManifestSchema } from '../../src/image/media-types.ts';
import type { Image } from '../../src/image/types.ts';
import { UserError } from '../../src/errors.ts';

/** What the blobs really are, measured from their bytes. */
interface Measured {
  readonly digest: string;
  readonly size: number;
  readonly diffId: string;
}

/** Checks `image`; fails listing every broken invariant. Returns the measured layers. */
export async function validateImage(image: Image): Promise<readonly Measured[]> {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };

  // Layers first: a store layer learns its identity while it streams (identityFromStream).
  const measured: Measured[] = [];
  for (const [index, layer] of image.layers.entries()) {
    const where = `layer ${index + 1}`;
    const chunks: Buffer[] = [];
    for await (const chunk of layer.open()) chunks.push(chunk as Buffer);
    const blob = Buffer.concat(chunks);
    const plain = await digestOf(await decompressed(layer.open(), where));
    const digest = sha256Digest(blob);
    measured.push({ digest, size: blob.length, diffId: plain.digest });
    check(digest === await layer.digest(), `${where}: digest() ${await layer.digest()} but the blob hashes to ${digest}`);
    check(blob.length === await layer.size(), `${where}: size() ${await layer.size()} but the blob has ${blob.length} bytes`);
    check(plain.digest === await layer.diffId(), `${where}: diffId() ${await layer.diffId()} but the uncompressed tar hashes to ${plain.digest}`);
    if (blob.length > 0) check(sniffCompression(blob.subarray(0, 6)) === layer.compression, `${where}: compression '${layer.compression}' but the bytes are '${sniffCompression(blob.subarray(0, 6))}'`);
    if (layer.compression === 'none') check(digest === plain.digest, `${where}: uncompressed, yet its digest is not its diff_id`);
  }

  const raw = await image.rawConfig();
  let diffIds: unknown;
  try {
    diffIds = (JSON.parse(raw.toString('utf8')) as { rootfs?: { diff_ids?: unknown } }).rootfs?.diff_ids;
  } catch (error) {
    problems.push(`config: not JSON (${(error as Error).message})`);
  }
  check(Array.isArray(diffIds) && diffIds.length === image.layers.length, `config: rootfs.diff_ids ${JSON.stringify(diffIds)} does not list one diff_id per layer (${image.layers.length})`);
  if (Array.isArray(diffIds)) {
    for (const [index, entry] of measured.entries()) check(diffIds[index] === entry.diffId, `config: rootfs.diff_ids[${index}] ${String(diffIds[index])} but layer ${index + 1} is ${entry.diffId}`);
  }

  for (const schema of ['oci', 'docker'] as const) await checkManifest(image, schema, raw, measured, problems);
  assert.deepEqual(problems, [], `invalid image:\n${problems.join('\n')}`);
  return measured;
}

// The manifest of `schema` describes exactly the config and blobs measured, its raw bytes parse
// back to it, its digest is theirs, and asking again gives the same (memoised) answer. A layer
// whose compression has no media type in the schema makes it a UserError instead.
async function checkManifest(image: Image, schema: ManifestSchema, config: Buffer, measured: readonly Measured[], problems: string[]): Promise<void> {
  const expectedTypes: string[] = [];
  try {
    for (const [index, layer] of image.layers.entries()) expectedTypes.push(layerMediaType(layer.compression, schema, `layer ${index + 1}`));
  } catch (error) {
    await assert.rejects(manifestOf(image, schema), (thrown: Error) => thrown instanceof UserError && thrown.code === 'no-media-type', `${schema}: a layer without a media type`);
    assert.ok(error instanceof UserError);
    return;
  }
  const derived = await manifestOf(image, schema);
  const where = `${schema} manifest`;
  const { manifest } = derived;
  if (manifest.schemaVersion !== 2) problems.push(`${where}: schemaVersion ${manifest.schemaVersion}`);
  if (manifest.mediaType !== SCHEMA_MEDIA_TYPES[schema].manifest) problems.push(`${where}: mediaType ${manifest.mediaType}`);
  const configExpected = { mediaType: SCHEMA_MEDIA_TYPES[schema].config, size: config.length, digest: sha256Digest(config) };
  if (JSON.stringify(manifest.config) !== JSON.stringify(configExpected)) problems.push(`${where}: config ${JSON.stringify(manifest.config)}, expected ${JSON.stringify(configExpected)}`);
  if (manifest.layers.length !== measured.length) problems.push(`${where}: ${manifest.layers.length} layers for ${measured.length}`);
  for (const [index, entry] of measured.entries()) {
    const key = image.layers[index]?.contentKey;
    const expected = { mediaType: expectedTypes[index], size: entry.size, digest: entry.digest,
      ...(schema === 'oci' && key !== undefined ? { annotations: { 'org.nix-strata.layer.key': key } } : {}) };
    if (JSON.stringify(manifest.layers[index]) !== JSON.stringify(expected)) problems.push(`${where}: layers[${index}] ${JSON.stringify(manifest.layers[index])}, expected ${JSON.stringify(expected)}`);
  }
  if (derived.digest !== sha256Digest(derived.raw)) problems.push(`${where}: digest ${derived.digest} is not that of its bytes`);
  const reparsed: unknown = JSON.parse(derived.raw.toString('utf8'));
  try {
    assert.deepEqual(reparsed, manifest);
  } catch {
    problems.push(`${where}: its bytes do not parse back to it`);
  }
  if ((await manifestOf(image, schema)) !== derived) problems.push(`${where}: derived twice`);
}
