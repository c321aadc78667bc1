// Process-wide allocator setting for programs that free and re-allocate the same large buffers every step.
import { nativeAddon } from './addon.js';

let applied: boolean | undefined;

/**
 * Makes glibc keep freed memory for reuse instead of returning it to the OS (no mmap'd chunks, no heap trimming), so
 * a buffer freed after one training step is reused by the next instead of being faulted in again page by page.
 * onnxruntime-node copies each run's outputs into new ArrayBuffers (for the issue-7 config, a 155 MB LM-head
 * gradient per step); with glibc's defaults every such buffer was fresh memory, ~38K page faults per step that cost
 * 0.1-0.8 s on this VM. Process-wide and permanent: peak RSS then stays at its high-water mark. Returns whether it
 * was applied (needs the C++ addon on glibc; a no-op returning false elsewhere). Idempotent.
 */
export function keepFreedMemory(): boolean {
  if (applied === undefined) applied = nativeAddon()?.keepFreedMemory() ?? false;
  return applied;
}
