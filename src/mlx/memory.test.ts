import { describe, expect, test } from "bun:test";
import * as mx from "./index.ts";

const MIB = 2 ** 20;

describe("memory stats", () => {
  test("active memory follows a 1M-float array and returns after dispose + clearCache", () => {
    mx.clearCache();
    const start = mx.getActiveMemory();
    const a = mx.array(new Float32Array(1 << 20).fill(1.5));
    const b = mx.add(a, a).eval();
    expect(b.size).toBe(1 << 20);
    expect(mx.getActiveMemory() - start).toBeGreaterThanOrEqual(4 * MIB);
    expect(mx.getPeakMemory()).toBeGreaterThanOrEqual(mx.getActiveMemory());
    a.dispose();
    b.dispose();
    // On asynchronous backends (CUDA) buffers are released once the stream has drained.
    mx.defaultStream().synchronize();
    mx.clearCache();
    expect(mx.getActiveMemory()).toBe(start);
    expect(mx.getCacheMemory()).toBe(0);
  });

  test("freed buffers go to the cache, and resetPeakMemory drops the peak to current use", () => {
    mx.clearCache();
    const a = mx.array(new Float32Array(1 << 18).fill(2)).eval();
    a.dispose();
    expect(mx.getCacheMemory()).toBeGreaterThanOrEqual(MIB);
    mx.clearCache();
    expect(mx.getCacheMemory()).toBe(0);
    mx.resetPeakMemory();
    expect(mx.getPeakMemory()).toBeLessThanOrEqual(mx.getActiveMemory() + MIB);
  });

  test("setters return the previous limit", () => {
    const original = mx.setCacheLimit(64 * MIB);
    expect(mx.setCacheLimit(32 * MIB)).toBe(64 * MIB);
    expect(mx.getCacheLimit()).toBe(32 * MIB);
    expect(mx.setCacheLimit(original)).toBe(32 * MIB);
    expect(mx.getCacheLimit()).toBe(original);

    const memLimit = mx.getMemoryLimit();
    const half = Math.floor(memLimit / 2);
    expect(memLimit).toBeGreaterThan(0);
    expect(mx.setMemoryLimit(half)).toBe(memLimit);
    expect(mx.getMemoryLimit()).toBe(half);
    expect(mx.setMemoryLimit(memLimit)).toBe(half);
    expect(() => mx.setCacheLimit(-1)).toThrow(mx.MlxError);
    expect(() => mx.setWiredLimit(1.5)).toThrow(mx.MlxError);
  });

  test("deviceInfo gives MLX's description of the device", () => {
    const info = mx.deviceInfo("cpu");
    expect(typeof info.device_name).toBe("string");
    expect(String(info.device_name).length).toBeGreaterThan(0);
    expect(typeof info.architecture).toBe("string");
    if (mx.gpuAvailable()) expect(Object.keys(mx.deviceInfo("gpu")).length).toBeGreaterThan(0);
  });
});
