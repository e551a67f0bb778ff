// The image a builder command works on: the conf of a layered image (`--conf`), or a
// docker-archive (`--image`, buildImage's result). Shared by stream, push and load.
import { UserError } from '../errors.ts';
import type { Image } from '../image/types.ts';
import { archiveImage, readDockerArchive } from '../sources/docker-archive.ts';
import { readConf, type Conf } from '../conf/conf.ts';
import { assembleImage } from '../image/assemble.ts';
import { currentInstant, resolveCreated, resolveMtime } from '../image/date.ts';
import type { JsonValue } from '../json/lossless.ts';
import { storePathsLayer } from '../sources/store-paths.ts';
import { tarballLayer } from '../sources/tarball-layer.ts';
import { givenLayer } from '../sources/given-layer.ts';
import { splitHashing } from '../hashing/split-hashing.ts';
import { VerifyHasher } from '../hashing/verify-hasher.ts';
import { PipeRing } from '../hashing/pipe-ring.ts';
import { buildCores } from '../build-cores.ts';
import { PlanThread } from '../hashing/plan-thread.ts';
import { readLayerPlans } from './layer-plans.ts';
import type { Digest } from '../digest/digest.ts';
import type { Layer } from '../image/types.ts';
import { customisationLayerKey, storeLayerKey } from '../conf/content-key.ts';

/** A layer with a content key (conf/content-key.ts), whose diff_id a registry's record may supply. */
export interface KeyedLayer extends Layer {
  readonly contentKey: string;
  /** Takes `diffId` as this layer's diff_id (a registry layer with the same key), without reading it. */
  trustDiffId(diffId: Digest): void;
}

export function keyedLayer(layer: Layer, contentKey: string): KeyedLayer {
  let trusted: Digest | undefined;
  return {
    compression: layer.compression,
    ...(layer.kind === undefined ? {} : { kind: layer.kind }),
    ...(layer.identityFromStream === undefined ? {} : { identityFromStream: layer.identityFromStream }),
    origin: layer.origin,
    contentKey,
    trustDiffId: (diffId) => { trusted = diffId; },
    diffId: async () => trusted ?? layer.diffId(),
    digest: () => layer.digest(),
    size: () => layer.size(),
    open: () => layer.open(),
    ...(layer.stored === undefined ? {} : { stored: layer.stored }),
  };
}

/** Where the image comes from: exactly one of the two. */
export interface ImageSource {
  readonly confPath?: string | undefined;
  readonly imagePath?: string | undefined;
  /** Replaces the image's own `name:tag`. */
  readonly repoTag?: string | undefined;
  /** Manifest annotations (`--annotations`), apart from the config's Labels. */
  readonly annotations?: Readonly<Record<string, string>> | undefined;
}

/** An opened image; `close` stops its hashing thread and removes temporary copies. */
export interface OpenedImage {
  readonly image: Image;
  /** `name:tag` the image is recorded under. */
  readonly reference: string;
  /** mtime of member headers a sink creates. */
  readonly mtime: number;
  readonly hasher: VerifyHasher | undefined;
  close(): Promise<void>;
}

/** Checks that exactly one source is named, before anything is read. */
export function checkImageSource(source: ImageSource): void {
  if ((source.confPath === undefined) === (source.imagePath === undefined)) {
    throw new UserError('bad-source', 'name the image with exactly one of --conf FILE (a layered image) or --image FILE (a docker-archive)');
  }
}

/** Opens the image `source` names. */
/** `piped`: the stream goes to a pipe, where sizing the layers on a thread of its own pays. */
export async function openImage(source: ImageSource, piped = false): Promise<OpenedImage> {
  checkImageSource(source);
  if (source.confPath !== undefined) {
    const conf = await readConf(source.confPath);
    const opened = await imageFromConf(conf, piped);
    return { ...opened, image: annotated(opened.image, source.annotations), reference: source.repoTag ?? conf.repoTag };
  }
  const path = source.imagePath!;
  const archive = await readDockerArchive(path);
  const reference = source.repoTag ?? archive.repoTags[0];
  if (reference === undefined) {
    await archive.dispose();
    throw new UserError('archive-untagged', `${path}: the archive records no name:tag (RepoTags); give one with --repo-tag NAME:TAG`);
  }
  return { image: annotated(archiveImage(archive), source.annotations), reference, mtime: 1, hasher: undefined, close: () => archive.dispose() };
}

/** The Image a conf describes; "now" in `created`/`mtime` resolves to one instant here. */
export async function imageFromConf(conf: Conf, piped = false): Promise<{ image: Image; mtime: number; hasher: VerifyHasher | undefined; close: () => Promise<void> }> {
  const now = currentInstant();
  const mtime = resolveMtime(conf.mtime, now);
  const baseImage = conf.fromImage === null ? undefined : await readDockerArchive(conf.fromImage);
  // Each store layer is sized from lstat and hashed as it streams (the config, which needs the
  // digests, is written last). With two cores or more, the hashing runs on its own thread.
  // The conf's plan file gives each layer's size and walk (steps/layer-plans.ts); without one,
  // piped, the sizing walk runs on a thread of its own (plan-thread.ts: the next layers' while
  // one streams), which keeps the pipe busy between layers; for a file it is not worth a thread.
  // Piped, the hashing thread also writes the pipe, so it hashes only half of the bytes (split-hashing.ts).
  // Piped, the store layers' chunks live in the pipe ring (pipe-ring.ts): no byte is copied between the threads.
  const twoCores = buildCores() > 1;
  const pipeRing = twoCores && piped ? new PipeRing() : undefined;
  const verifier = twoCores ? new VerifyHasher(pipeRing) : undefined;
  // Layers the conf has no plan for (confs of earlier versions) are sized while streaming.
  const plans = readLayerPlans(conf.plan, conf.storeLayers);
  const planner = verifier !== undefined && piped && plans.some((plan) => plan === undefined) ? new PlanThread() : undefined;
  const hashing = verifier !== undefined && piped ? splitHashing(verifier, 0.5) : verifier;
  const threads = {
    ...(hashing === undefined ? {} : { verifier: hashing }),
    ...(pipeRing === undefined ? {} : { chunks: pipeRing }),
  };
  const storeLayers = conf.storeLayers.map((layer, index) => {
    const plan = plans[index];
    const layerPlanner = plan !== undefined ? { planner: async () => plan } : planner === undefined ? {} : { planner: planner.plan.bind(planner) };
    const made = storePathsLayer(layer.paths, { ...conf.owner, mtime, ...threads, ...layerPlanner });
    return layer.contentKey === undefined ? made : keyedLayer(made, storeLayerKey(layer.contentKey, conf.owner, mtime));
  });

  // buildLayer outputs, below the automatic store layers, each with the owner and mtime it was built with.
  const givenLayers = conf.givenLayers.map((layer) => {
    const made = givenLayer(layer, hashing === undefined ? {} : { verifier: hashing });
    return layer.contentKey === undefined ? made : keyedLayer(made, storeLayerKey(layer.contentKey, layer.owner, layer.mtime));
  });
  const customisation = await tarballLayer(conf.customisationLayer);
  const image = assembleImage({
    baseImage,
    storeLayers: [...givenLayers, ...storeLayers],
    customisationLayer: keyedLayer(customisation, customisationLayerKey(await customisation.diffId())),
    architecture: conf.architecture,
    ...(conf.variant === undefined ? {} : { variant: conf.variant }),
    config: conf.config as JsonValue,
    created: resolveCreated(conf.created, now),
  });
  // close() also removes the base's uncompressed copy, if streaming made one (a process 'exit' hook is the safety net).
  return { image, mtime, hasher: verifier, close: async () => { await Promise.all([verifier?.close(), planner?.close(), baseImage?.dispose()]); } };
}

// The image with the user's annotations; the config and layers are the same objects.
function annotated(image: Image, annotations: ImageSource['annotations']): Image {
  if (annotations === undefined || Object.keys(annotations).length === 0) return image;
  return { layers: image.layers, rawConfig: () => image.rawConfig(), annotations };
}
