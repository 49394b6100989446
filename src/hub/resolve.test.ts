import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ModelPathError, OfflineModeError } from "./errors.ts";
import { parseModelSpec, resolveModel } from "./resolve.ts";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "vmlx-hub-resolve-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Lays out a cache the way huggingface_hub / mlx-lm leave it: refs, snapshot symlinks, blobs. */
function populateCache(cacheDir: string, repo: string, files: Record<string, string>, revision = "main"): string {
  const repoDir = join(cacheDir, `models--${repo.replace("/", "--")}`);
  mkdirSync(join(repoDir, "refs"), { recursive: true });
  mkdirSync(join(repoDir, "blobs"));
  const snap = join(repoDir, "snapshots", COMMIT);
  mkdirSync(snap, { recursive: true });
  writeFileSync(join(repoDir, "refs", revision), COMMIT);
  for (const [name, content] of Object.entries(files)) {
    const etag = new Bun.CryptoHasher("sha256").update(content).digest("hex");
    writeFileSync(join(repoDir, "blobs", etag), content);
    symlinkSync(join("..", "..", "blobs", etag), join(snap, name));
  }
  return snap;
}

const offline = (home: string, cacheDir: string) => ({ env: { HOME: home, HF_HUB_OFFLINE: "1" }, cacheDir });

describe("parseModelSpec", () => {
  test("repo ids, revisions and paths", () => {
    const cwd = tempDir();
    expect(parseModelSpec("Qwen/Qwen3-0.6B", cwd)).toEqual({ kind: "repo", repo: "Qwen/Qwen3-0.6B", revision: "main" });
    expect(parseModelSpec("mlx-community/Qwen3-0.6B-4bit@v1.0", cwd)).toEqual({
      kind: "repo",
      repo: "mlx-community/Qwen3-0.6B-4bit",
      revision: "v1.0",
    });
    expect(parseModelSpec("./models/x", cwd)).toEqual({ kind: "path", path: join(cwd, "models/x") });
    expect(parseModelSpec("/abs/model.gguf", cwd)).toEqual({ kind: "path", path: "/abs/model.gguf" });
    mkdirSync(join(cwd, "org", "local"), { recursive: true });
    expect(parseModelSpec("org/local", cwd)).toEqual({ kind: "path", path: join(cwd, "org/local") });
    expect(() => parseModelSpec("not a repo", cwd)).toThrow(ModelPathError);
    expect(() => parseModelSpec("a/b/c", cwd)).toThrow(ModelPathError);
  });
});

describe("resolveModel: local paths", () => {
  test("a relative directory with config.json and safetensors", async () => {
    const cwd = tempDir();
    const dir = join(cwd, "my-model");
    mkdirSync(dir);
    writeFileSync(join(dir, "config.json"), "{}");
    writeFileSync(join(dir, "model.safetensors"), "x");
    const model = await resolveModel("my-model", { cwd, offline: true, env: {} });
    expect(model).toEqual({ dir, format: "safetensors", ggufFile: undefined, source: "local" });
  });

  test("a sharded directory must hold every shard the index names", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "config.json"), "{}");
    const weightMap = { "a.weight": "model-00001-of-00002.safetensors", "b.weight": "model-00002-of-00002.safetensors" };
    writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: weightMap }));
    writeFileSync(join(dir, "model-00001-of-00002.safetensors"), "x");
    const error = await resolveModel(dir, { env: {} }).catch((e) => e);
    expect(error).toBeInstanceOf(ModelPathError);
    expect(error.message).toContain("model-00002-of-00002.safetensors");
    writeFileSync(join(dir, "model-00002-of-00002.safetensors"), "y");
    expect((await resolveModel(dir, { env: {} })).format).toBe("safetensors");
  });

  test("a .gguf file path, and a directory holding one .gguf", async () => {
    const dir = tempDir();
    const gguf = join(dir, "tiny-q4_0.gguf");
    writeFileSync(gguf, "GGUF");
    expect(await resolveModel(gguf, { env: {} })).toEqual({ dir, format: "gguf", ggufFile: gguf, source: "local" });
    expect(await resolveModel(dir, { env: {} })).toEqual({ dir, format: "gguf", ggufFile: gguf, source: "local" });
    writeFileSync(join(dir, "tiny-q8_0.gguf"), "GGUF");
    await expect(resolveModel(dir, { env: {} })).rejects.toThrow(/several \.gguf files/);
  });

  test("errors: missing path, empty directory, non-gguf file", async () => {
    const dir = tempDir();
    await expect(resolveModel(join(dir, "nope"), { env: {} })).rejects.toThrow(/does not exist/);
    await expect(resolveModel(dir, { env: {} })).rejects.toThrow(/no config\.json or \.gguf file/);
    writeFileSync(join(dir, "weights.bin"), "x");
    await expect(resolveModel(join(dir, "weights.bin"), { env: {} })).rejects.toThrow(ModelPathError);
  });
});

describe("resolveModel: Hugging Face cache, offline", () => {
  test("finds a snapshot laid out by mlx-lm without copying it", async () => {
    const home = tempDir();
    const cacheDir = join(home, "hub");
    const snap = populateCache(cacheDir, "mlx-community/Tiny-4bit", {
      "config.json": '{"model_type":"qwen3"}',
      "model.safetensors": "weights",
      "tokenizer.json": "{}",
    });
    const model = await resolveModel("mlx-community/Tiny-4bit", offline(home, cacheDir));
    expect(model).toEqual({
      dir: snap,
      format: "safetensors",
      ggufFile: undefined,
      source: "cache",
      repo: "mlx-community/Tiny-4bit",
      revision: "main",
      commit: COMMIT,
    });
    expect(await Bun.file(join(model.dir, "config.json")).text()).toBe('{"model_type":"qwen3"}');
  });

  test("the cache comes from HF_HOME when no option names it; a commit hash needs no ref", async () => {
    const home = tempDir();
    populateCache(join(home, "hf", "hub"), "org/tiny", { "config.json": "{}", "model.safetensors": "w" }, "v2");
    const env = { HOME: home, HF_HOME: join(home, "hf"), HF_HUB_OFFLINE: "1" };
    expect((await resolveModel("org/tiny@v2", { env })).commit).toBe(COMMIT);
    expect((await resolveModel(`org/tiny@${COMMIT}`, { env })).source).toBe("cache");
  });

  test("missing model in offline mode -> OfflineModeError", async () => {
    const home = tempDir();
    const error = await resolveModel("org/absent", offline(home, join(home, "hub"))).catch((e) => e);
    expect(error).toBeInstanceOf(OfflineModeError);
    expect(error.message).toContain("HF_HUB_OFFLINE");
    expect(error.message).toContain("org/absent@main");
  });

  test("an incomplete snapshot in offline mode -> OfflineModeError naming what is missing", async () => {
    const home = tempDir();
    const cacheDir = join(home, "hub");
    populateCache(cacheDir, "org/partial", { "config.json": "{}", "tokenizer.json": "{}" });
    const error = await resolveModel("org/partial", offline(home, cacheDir)).catch((e) => e);
    expect(error).toBeInstanceOf(OfflineModeError);
    expect(error.message).toContain("no *.safetensors weights");
  });
});
