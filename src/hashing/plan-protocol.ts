// Messages between plan-thread.ts and its worker (plan-worker.ts).
import type { StoreLayerOptions } from '../tar/store-layer.ts';

/** Size the store layer of `paths`. */
export interface PlanRequest {
  readonly id: number;
  readonly paths: readonly string[];
  readonly options: StoreLayerOptions;
}

/** The layer's size and recorded walk, or the error sizing it failed with (a UserError's code and message). */
export type PlanAnswer =
  | { readonly id: number; readonly size: number; readonly walk: Uint8Array | undefined }
  | { readonly id: number; readonly error: { readonly code?: string; readonly message: string } };
