import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { type EmbeddedManifest, isComplete, materializeTo, nativeCacheRoot } from "./embedded.ts";

const scratch = mkdtempSync(join(os.tmpdir(), "vmlx-embedded-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function manifest(key: string): EmbeddedManifest {
  const src = mkdtempSync(join(scratch, "src-"));
  const files = [
    { rel: "mlx/lib/libvmlx.so", body: "vmlx-bytes" },
    { rel: "mlx/lib/libmlx.so", body: "mlx-bytes-longer" },
    { rel: "mlx_cpu.libs/libblas.so.3", body: "blas" },
  ].map((f, i) => {
    const source = join(src, `f${i}`);
    writeFileSync(source, f.body);
    return { rel: f.rel, source, size: f.body.length };
  });
  return { key, files, library: "mlx/lib/libvmlx.so" };
}

describe("materializeTo", () => {
  test("keeps the relative layout, writes the marker and reuses a complete directory", () => {
    const root = join(scratch, "cache1");
    const m = manifest("0.1.0-0.32.4-cpu-abc");
    const dir = materializeTo(root, m);
    expect(dir).toBe(join(root, m.key));
    expect(readFileSync(join(dir, "mlx_cpu.libs/libblas.so.3"), "utf8")).toBe("blas");
    expect(readFileSync(join(dir, "mlx/lib/libmlx.so"), "utf8")).toBe("mlx-bytes-longer");
    expect(isComplete(dir, m)).toBe(true);
    writeFileSync(join(dir, "mlx/lib/extra"), "left alone");
    expect(materializeTo(root, m)).toBe(dir);
    expect(existsSync(join(dir, "mlx/lib/extra"))).toBe(true);
    expect(readdirSync(root)).toEqual([m.key]);
  });

  test("replaces a damaged directory (a truncated file)", () => {
    const root = join(scratch, "cache2");
    const m = manifest("k-damaged");
    const dir = materializeTo(root, m);
    writeFileSync(join(dir, "mlx/lib/libmlx.so"), "cut");
    expect(isComplete(dir, m)).toBe(false);
    materializeTo(root, m);
    expect(readFileSync(join(dir, "mlx/lib/libmlx.so"), "utf8")).toBe("mlx-bytes-longer");
    expect(readdirSync(root)).toEqual([m.key]);
  });

  test("processes starting at once all end with one complete directory", async () => {
    const root = join(scratch, "cache3");
    const m = manifest("k-race");
    const script = `import { materializeTo } from ${JSON.stringify(join(import.meta.dir, "embedded.ts"))};
      const m = JSON.parse(process.argv[2]); console.log(materializeTo(process.argv[1], m));`;
    const procs = Array.from({ length: 4 }, () =>
      Bun.spawn([process.execPath, "-e", script, root, JSON.stringify(m)], { stdout: "pipe", stderr: "pipe" }));
    const outs = await Promise.all(procs.map(async (p) => {
      const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      return { out: out.trim(), err, code };
    }));
    for (const o of outs) expect(o).toMatchObject({ code: 0, out: join(root, m.key) });
    expect(isComplete(join(root, m.key), m)).toBe(true);
    expect(readdirSync(root)).toEqual([m.key]);
  });

  test("the cache root follows XDG_CACHE_HOME, else the platform's default", () => {
    expect(nativeCacheRoot({ XDG_CACHE_HOME: "/x/cache", HOME: "/h" }, "linux")).toBe("/x/cache/vllm-mlx/native");
    expect(nativeCacheRoot({ HOME: "/h" }, "linux")).toBe("/h/.cache/vllm-mlx/native");
    expect(nativeCacheRoot({ HOME: "/h" }, "darwin")).toBe("/h/Library/Caches/vllm-mlx/native");
  });
});
