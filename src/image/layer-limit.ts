// Docker cannot load or run an image deeper than 125 layers (format.md §9): its layer store
// leaves 2 of 127 for the container, and overlay2 refuses more with "max depth exceeded".
// Checked when the layer count is known, so the build fails instead of `docker load`.
import { UserError } from '../errors.ts';

/** The most layers an image may have for Docker to load and run it. */
export const DOCKER_LAYER_LIMIT = 125;

/** How an image's layers come about, for the message. */
export interface LayerCount {
  readonly base: number;
  /** Layers given ready-made (buildLayer's, `layers`). */
  readonly given?: number;
  /** Store layers, and what decided them (e.g. `the layeringPipeline`). */
  readonly store?: { readonly count: number; readonly decidedBy: string };
  /** The layer(s) the builder adds itself (customisation layer, buildImage's new layer). */
  readonly own: { readonly count: number; readonly what: string };
}

/** A UserError when the image would exceed DOCKER_LAYER_LIMIT, saying what to change. */
export function checkLayerLimit(count: LayerCount): void {
  const store = count.store?.count ?? 0;
  const given = count.given ?? 0;
  const total = count.base + given + store + count.own.count;
  if (total <= DOCKER_LAYER_LIMIT) return;
  const parts = [`${count.base} from fromImage`, ...(given > 0 ? [`${given} given in \`layers\``] : []), ...(count.store ? [`${store} store layers from ${count.store.decidedBy}`] : []), `${count.own.count} ${count.own.what}`];
  const room = DOCKER_LAYER_LIMIT - count.base - given - count.own.count;
  const fix = count.store && room >= 1
    ? `end the pipeline with ["limit_layers", ${room}]`
    : `use a base image with at most ${DOCKER_LAYER_LIMIT - given - count.own.count - (count.store ? 1 : 0)} layers${given > 0 ? ' or fewer `layers`' : ''}`;
  throw new UserError('too-many-layers',
    `the image would have ${total} layers (${parts.join(', ')}), more than Docker's limit of ${DOCKER_LAYER_LIMIT} (docker load or run fails with "max depth exceeded"); ${fix}`);
}
