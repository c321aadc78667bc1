// Loads build/Release/steel_kernels.node once. A missing or broken addon is not an error here: callers ask
// nativeKernelsStatus() and use the JavaScript fallbacks.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An opaque handle to a C++ Qwen2 BPE model. */
export type NativeHandle = { readonly __steelKernelHandle: unique symbol };

/** What the C++ side returns for a batch: segment i's ids are ids[ends[i - 1] ?? 0 .. ends[i]). */
export interface EncodedSegments {
  ids: Int32Array;
  ends: Uint32Array;
}

export interface SteelKernelsAddon {
  qwen2BpeCreate(byteIds: Int32Array, merges: Int32Array, heapFromBytes: number): NativeHandle;
  qwen2BpeEncode(handle: NativeHandle, segments: readonly string[], threads: number): Promise<EncodedSegments>;
  qwen2BpeEncodeSync(handle: NativeHandle, segments: readonly string[], threads: number): EncodedSegments;
  qwen2BpePreTokenize(handle: NativeHandle, text: string): Uint32Array;
  adamwUpdate(
    p: readonly Float32Array[],
    g: readonly Float32Array[],
    m: readonly Float32Array[],
    v: readonly Float32Array[],
    decay: Float64Array,
    constants: Float64Array,
    threads: number,
  ): void;
  sumOfSquares(arrays: readonly Float32Array[], threads: number): number;
  keepFreedMemory(): boolean;
}

export interface NativeKernelsStatus {
  /** true when the C++ addon loaded and will be used. */
  available: boolean;
  /** Where the addon is expected (built by `npm install` / this package's build script). */
  path: string;
  /** Why it is not available (not built, failed to load, disabled by STEEL_KERNELS_NATIVE=0). */
  reason?: string;
}

// dist/index.js and src/addon.ts are both one level below the package root.
const addonPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'build', 'Release', 'steel_kernels.node');

let loaded: { addon?: SteelKernelsAddon; status: NativeKernelsStatus } | undefined;

function load(): { addon?: SteelKernelsAddon; status: NativeKernelsStatus } {
  if (loaded) return loaded;
  if (process.env.STEEL_KERNELS_NATIVE === '0') {
    loaded = { status: { available: false, path: addonPath, reason: 'disabled by STEEL_KERNELS_NATIVE=0' } };
  } else if (!existsSync(addonPath)) {
    loaded = {
      status: {
        available: false,
        path: addonPath,
        reason: 'the addon is not built (npm install builds it; needs a C++ compiler and Node headers)',
      },
    };
  } else {
    try {
      const addon = createRequire(import.meta.url)(addonPath) as SteelKernelsAddon;
      loaded = { addon, status: { available: true, path: addonPath } };
    } catch (err) {
      loaded = { status: { available: false, path: addonPath, reason: `failed to load: ${(err as Error).message}` } };
    }
  }
  return loaded;
}

/** Whether the C++ kernels are in use, and if not, why. */
export function nativeKernelsStatus(): NativeKernelsStatus {
  return { ...load().status };
}

/** @internal the loaded addon, or undefined. */
export function nativeAddon(): SteelKernelsAddon | undefined {
  return load().addon;
}
