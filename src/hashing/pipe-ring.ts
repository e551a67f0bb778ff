// Shared slots the piped stream's chunks live in, so that no byte is copied between threads:
// the stream thread reads store files straight into a slot (a ChunkBuffer takes its chunks from
// here), and the worker writing the pipe (hash-worker.ts) hashes and writes the same memory,
// then frees the slot. Copying every chunk into a ring instead cost the stream thread about
// 0.25 s per 1.2 GB, on the thread that also reads the store.
import { CHUNK_SIZE, type ChunkSupply } from '../tar/chunks.ts';
import { FREED, slotWord } from './pipe-protocol.ts';

/** Slots, and bytes per slot (one stream chunk): 4 MiB in all. */
export const PIPE_SLOTS = 16;
export const PIPE_SLOT_BYTES = CHUNK_SIZE;

/** Where a chunk taken from the ring sits in it. */
export interface RingPlace {
  readonly slot: number;
  /** Byte offset of the chunk in `bytes`. */
  readonly offset: number;
}

/**
 * The ring, on the stream thread's side. `take` never blocks: with every slot taken it hands
 * out an ordinary buffer (copied later, as any other write is); `whenReady` lets a stream wait
 * for slots without blocking the event loop.
 */
export class PipeRing implements ChunkSupply {
  readonly bytes = new SharedArrayBuffer(PIPE_SLOTS * PIPE_SLOT_BYTES);
  readonly words = new Int32Array(new SharedArrayBuffer(4 * (PIPE_SLOTS + 1)));
  private cursor = 0;
  private abandoned = false;

  /** A free slot's index, now taken; undefined when all are taken. */
  takeSlot(): number | undefined {
    if (this.abandoned) return undefined;
    for (let i = 0; i < PIPE_SLOTS; i++) {
      const slot = (this.cursor + i) % PIPE_SLOTS;
      if (Atomics.load(this.words, slotWord(slot)) === 0) {
        Atomics.store(this.words, slotWord(slot), 1);
        this.cursor = (slot + 1) % PIPE_SLOTS;
        return slot;
      }
    }
    return undefined;
  }

  /** The slot's memory. */
  view(slot: number, length = PIPE_SLOT_BYTES): Buffer {
    return Buffer.from(this.bytes, slot * PIPE_SLOT_BYTES, length);
  }

  take(size: number): Buffer {
    const slot = size === PIPE_SLOT_BYTES ? this.takeSlot() : undefined;
    return slot === undefined ? Buffer.allocUnsafeSlow(size) : this.view(slot);
  }

  /** Slots are freed by the worker once written, never handed back by the stream. */
  give(): void {}

  /** Undefined when two slots are free (all a chunk generator's next step takes); else when they are. */
  whenReady(): Promise<void> | undefined {
    if (this.abandoned || this.freeSlots() >= 2) return undefined;
    return this.waitForFree(2);
  }

  /** Where `chunk` sits in the ring, if it is a slot's memory (a whole chunk or its start). */
  locate(chunk: Uint8Array): RingPlace | undefined {
    if (chunk.buffer !== this.bytes) return undefined;
    return { slot: Math.floor(chunk.byteOffset / PIPE_SLOT_BYTES), offset: chunk.byteOffset };
  }

  /** Blocks this thread up to `ms` for the worker to free a slot; whether one is free. */
  waitBriefly(ms: number): boolean {
    const freed = Atomics.load(this.words, FREED);
    if (this.abandoned || this.freeSlots() > 0) return true;
    Atomics.wait(this.words, FREED, freed, ms);
    return this.freeSlots() > 0;
  }

  /**
   * Stops all waiting (the writer is gone: its pipe failed or its thread died): waits return at
   * once, and `take` hands out ordinary buffers, so a stream runs on into the error.
   */
  abandon(): void {
    this.abandoned = true;
    Atomics.add(this.words, FREED, 1);
    Atomics.notify(this.words, FREED);
  }

  /** Resolves once `count` slots are free (or the ring is abandoned), waiting without blocking the event loop. */
  async waitForFree(count = 1): Promise<void> {
    for (;;) {
      const freed = Atomics.load(this.words, FREED);
      if (this.abandoned || this.freeSlots() >= count) return;
      const waited = Atomics.waitAsync(this.words, FREED, freed);
      if (waited.async) await waited.value;
    }
  }

  private freeSlots(): number {
    let free = 0;
    for (let slot = 0; slot < PIPE_SLOTS; slot++) if (Atomics.load(this.words, slotWord(slot)) === 0) free += 1;
    return free;
  }
}
