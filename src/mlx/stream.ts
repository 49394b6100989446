/** Devices and streams. Ops run on `defaultStream()` unless given one. */
import type { Pointer } from "bun:ffi";
import { check, checkHandle, N, SCRATCH, scratchU8 } from "./ffi/call.ts";

export class Stream {
  constructor(
    readonly _h: Pointer,
    readonly device: "cpu" | "gpu",
  ) {}
  synchronize(): void {
    check("mlx_synchronize", N.mlx_synchronize(this._h));
  }
}

let gpu: Stream | undefined;
let cpu: Stream | undefined;

export function gpuAvailable(): boolean {
  check("vmlx_gpu_is_available", N.vmlx_gpu_is_available(SCRATCH));
  return scratchU8() !== 0;
}

export function cpuStream(): Stream {
  cpu ??= new Stream(checkHandle("mlx_default_cpu_stream_new", N.mlx_default_cpu_stream_new() as Pointer), "cpu");
  return cpu;
}

export function gpuStream(): Stream {
  gpu ??= new Stream(checkHandle("mlx_default_gpu_stream_new", N.mlx_default_gpu_stream_new() as Pointer), "gpu");
  return gpu;
}

let fallback: Stream | undefined;
/** The GPU stream where a GPU backend is present, else the CPU stream. */
export function defaultStream(): Stream {
  fallback ??= gpuAvailable() ? gpuStream() : cpuStream();
  return fallback;
}

/** The handle of `s`, or of the default stream. Internal to src/mlx/. */
export function streamHandle(s?: Stream): Pointer {
  return (s ?? defaultStream())._h;
}
