import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { downloadModel } from "./download.ts";
import { DownloadError, OfflineModeError, RepoNotFoundError, RevisionNotFoundError } from "./errors.ts";
import { FakeHub, type FakeFile } from "./fake-hub.ts";
import type { DownloadProgress } from "./progress.ts";
import { resolveModel } from "./resolve.ts";

const REPO = "fake-org/tiny-model";
const COMMIT = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
const text = (s: string) => new TextEncoder().encode(s);
const WEIGHTS = new Uint8Array(randomBytes(48 * 1024));
const FILES: FakeFile[] = [
  { path: "config.json", content: text('{"model_type":"llama","hidden_size":64}') },
  { path: "tokenizer.json", content: text('{"version":"1.0","model":{"type":"BPE"}}') },
  { path: "model.safetensors", content: WEIGHTS, lfs: true },
  { path: "README.md", content: text("# tiny model\n") },
];
const WEIGHTS_SHA = createHash("sha256").update(WEIGHTS).digest("hex");

let hub: FakeHub;
let home: string;
let cacheDir: string;
const repoDir = () => join(cacheDir, "models--fake-org--tiny-model");
const opts = (extra: Record<string, unknown> = {}) => ({ endpoint: hub.url, cacheDir, env: { HOME: home }, quiet: true, ...extra });

beforeEach(() => {
  hub = new FakeHub(REPO, COMMIT, FILES);
  home = mkdtempSync(join(tmpdir(), "vmlx-hub-dl-"));
  cacheDir = join(home, "hub");
});
afterEach(() => {
  hub.stop();
  rmSync(home, { recursive: true, force: true });
});

describe("downloadModel", () => {
  test("fills the cache in huggingface_hub's layout and skips README.md", async () => {
    const snap = await downloadModel(REPO, opts());
    expect(snap.commit).toBe(COMMIT);
    expect(snap.files.sort()).toEqual(["config.json", "model.safetensors", "tokenizer.json"]);
    expect(snap.downloaded.sort()).toEqual(snap.files);
    expect(await Bun.file(join(repoDir(), "refs", "main")).text()).toBe(COMMIT);
    expect(snap.dir).toBe(join(repoDir(), "snapshots", COMMIT));
    expect(readdirSync(snap.dir).sort()).toEqual(["config.json", "model.safetensors", "tokenizer.json"]);
    const weights = join(snap.dir, "model.safetensors");
    expect(lstatSync(weights).isSymbolicLink()).toBe(true);
    expect(readlinkSync(weights)).toBe(join("..", "..", "blobs", WEIGHTS_SHA));
    expect(new Uint8Array(await Bun.file(weights).arrayBuffer())).toEqual(WEIGHTS);
    const configEtag = createHash("sha1").update(FILES[0]!.content).digest("hex");
    expect(readlinkSync(join(snap.dir, "config.json"))).toBe(join("..", "..", "blobs", configEtag));
    expect(readdirSync(join(repoDir(), "blobs")).filter((f) => f.endsWith(".incomplete"))).toEqual([]);
    expect(hub.requests.some((r) => r.path.endsWith("README.md"))).toBe(false);
    expect(hub.count("/cdn/")).toBe(1);
  });

  test("allowPatterns can ask for README.md", async () => {
    const snap = await downloadModel(REPO, opts({ allowPatterns: ["*.md"] }));
    expect(snap.files).toEqual(["README.md"]);
    expect(await Bun.file(join(snap.dir, "README.md")).text()).toBe("# tiny model\n");
  });

  test("reports progress per file, ending with done at the full size", async () => {
    const events: DownloadProgress[] = [];
    await downloadModel(REPO, opts({ onProgress: (p: DownloadProgress) => events.push(p) }));
    const last = events.filter((e) => e.file === "model.safetensors").at(-1);
    expect(last).toEqual({ file: "model.safetensors", downloaded: WEIGHTS.length, total: WEIGHTS.length, done: true });
  });

  test("a second resolve is served from the cache with no request at all", async () => {
    const first = await resolveModel(REPO, opts());
    expect(first.source).toBe("download");
    const seen = hub.requests.length;
    expect(seen).toBeGreaterThan(0);
    const second = await resolveModel(REPO, opts());
    expect(second).toEqual({ ...first, source: "cache" });
    expect(hub.requests.length).toBe(seen);
  });

  test("files missing from a snapshot are fetched; blobs already present are linked, not fetched", async () => {
    await downloadModel(REPO, opts());
    const snapDir = join(repoDir(), "snapshots", COMMIT);
    rmSync(join(snapDir, "tokenizer.json"));
    hub.requests.length = 0;
    expect((await downloadModel(REPO, opts())).downloaded).toEqual(["tokenizer.json"]);
    expect(hub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /api/models/${REPO}/revision/main`,
      `HEAD /${REPO}/resolve/${COMMIT}/tokenizer.json`,
    ]);
    const blob = join(snapDir, readlinkSync(join(snapDir, "tokenizer.json")));
    rmSync(join(snapDir, "tokenizer.json"));
    rmSync(blob);
    hub.requests.length = 0;
    await downloadModel(REPO, opts());
    expect(hub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /api/models/${REPO}/revision/main`,
      `HEAD /${REPO}/resolve/${COMMIT}/tokenizer.json`,
      `GET /${REPO}/resolve/${COMMIT}/tokenizer.json`,
    ]);
    expect(await Bun.file(join(snapDir, "tokenizer.json")).text()).toBe(new TextDecoder().decode(FILES[1]!.content));
  });

  test("resumes a cut download with a Range request; final bytes are identical", async () => {
    hub.cutAfterBytes = 20_000;
    hub.cutTimes = 1;
    const error = await downloadModel(REPO, opts({ retries: 0 })).catch((e) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.file).toBe("model.safetensors");
    const partial = join(repoDir(), "blobs", `${WEIGHTS_SHA}.incomplete`);
    expect(Bun.file(partial).size).toBe(20_000);

    const snap = await downloadModel(REPO, opts());
    const cdn = hub.requests.filter((r) => r.path.startsWith("/cdn/"));
    expect(cdn.map((r) => r.range)).toEqual([null, "bytes=20000-"]);
    expect(new Uint8Array(await Bun.file(join(snap.dir, "model.safetensors")).arrayBuffer())).toEqual(WEIGHTS);
    expect(existsSync(partial)).toBe(false);
  });

  test("retries within one call, resuming after each cut", async () => {
    hub.cutAfterBytes = 10_000;
    hub.cutTimes = 2;
    const snap = await downloadModel(REPO, opts({ retries: 2 }));
    const ranges = hub.requests.filter((r) => r.path.startsWith("/cdn/")).map((r) => r.range);
    expect(ranges).toEqual([null, "bytes=10000-", "bytes=20000-"]);
    expect(new Uint8Array(await Bun.file(join(snap.dir, "model.safetensors")).arrayBuffer())).toEqual(WEIGHTS);
  });

  test("a server that ignores Range (200) restarts the file from zero", async () => {
    const blobs = join(repoDir(), "blobs");
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${WEIGHTS_SHA}.incomplete`), new Uint8Array(5000).fill(0xff));
    hub.ignoreRange = true;
    const snap = await downloadModel(REPO, opts());
    expect(hub.requests.find((r) => r.path.startsWith("/cdn/"))?.range).toBe("bytes=5000-");
    expect(new Uint8Array(await Bun.file(join(snap.dir, "model.safetensors")).arrayBuffer())).toEqual(WEIGHTS);
  });

  test("an LFS blob whose bytes do not match its sha256 is not kept; the next call starts over and succeeds", async () => {
    // A partial file whose first bytes are wrong (a bad disk, another process): resumed, the whole does not match.
    const blobs = join(repoDir(), "blobs");
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${WEIGHTS_SHA}.incomplete`), new Uint8Array(5000).fill(0xff));
    const error = await downloadModel(REPO, opts()).catch((e) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.file).toBe("model.safetensors");
    expect(error.message).toContain(`checksum mismatch: expected sha256 ${WEIGHTS_SHA}, got `);
    expect(existsSync(join(blobs, WEIGHTS_SHA))).toBe(false);
    expect(existsSync(join(blobs, `${WEIGHTS_SHA}.incomplete`))).toBe(false);
    const snap = await downloadModel(REPO, opts());
    expect(hub.requests.filter((r) => r.path.startsWith("/cdn/")).map((r) => r.range)).toEqual(["bytes=5000-", null]);
    expect(new Uint8Array(await Bun.file(join(snap.dir, "model.safetensors")).arrayBuffer())).toEqual(WEIGHTS);
  });

  test("HF_TOKEN is sent as a Bearer token to the Hub", async () => {
    hub.requiredToken = "hf_secret";
    await downloadModel(REPO, { ...opts(), env: { HOME: home, HF_TOKEN: "hf_secret" } });
    const hubRequests = hub.requests.filter((r) => !r.path.startsWith("/cdn/"));
    expect(hubRequests.length).toBeGreaterThan(0);
    expect(hubRequests.every((r) => r.authorization === "Bearer hf_secret")).toBe(true);
  });

  test("401 without a token -> RepoNotFoundError with the gated-repo hint", async () => {
    hub.requiredToken = "hf_secret";
    const error = await resolveModel(REPO, opts()).catch((e) => e);
    expect(error).toBeInstanceOf(RepoNotFoundError);
    expect(error.status).toBe(401);
    expect(error.message).toContain("HF_TOKEN");
    expect(error.message).toContain("gated");
    const wrong = await downloadModel(REPO, opts({ token: "hf_wrong" })).catch((e) => e);
    expect(wrong).toBeInstanceOf(RepoNotFoundError);
    expect(wrong.hint).toContain("was sent");
  });

  test("404 repository and unknown revision", async () => {
    const missing = await downloadModel("fake-org/absent", opts()).catch((e) => e);
    expect(missing).toBeInstanceOf(RepoNotFoundError);
    expect(missing.status).toBe(404);
    expect(missing.repo).toBe("fake-org/absent");
    const revision = await resolveModel(`${REPO}@nope`, opts()).catch((e) => e);
    expect(revision).toBeInstanceOf(RevisionNotFoundError);
    expect(existsSync(repoDir())).toBe(false);
  });

  test("a commit hash needs no ref; a branch resolved later is recorded in refs/ without refetching", async () => {
    const model = await resolveModel(`${REPO}@${COMMIT}`, opts());
    expect(model).toMatchObject({ commit: COMMIT, source: "download" });
    expect(existsSync(join(repoDir(), "refs"))).toBe(false);
    hub.requests.length = 0;
    const main = await resolveModel(`${REPO}@main`, opts());
    expect(main).toMatchObject({ commit: COMMIT, source: "cache", dir: model.dir });
    expect(hub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /api/models/${REPO}/revision/main`]);
    expect(await Bun.file(join(repoDir(), "refs", "main")).text()).toBe(COMMIT);
  });

  test("offline mode never touches the network, even with the Hub reachable", async () => {
    const offline = { ...opts(), env: { HOME: home, HF_HUB_OFFLINE: "1" } };
    await expect(resolveModel(REPO, offline)).rejects.toBeInstanceOf(OfflineModeError);
    await expect(downloadModel(REPO, offline)).rejects.toBeInstanceOf(OfflineModeError);
    await expect(downloadModel(REPO, offline)).rejects.toThrow(`Download it first (vllm-mlx download ${REPO}) or unset HF_HUB_OFFLINE.`);
    // `vllm-mlx download` takes no datasets: a dataset's message does not send the user there.
    const dataset = await downloadModel("openai/gsm8k", { ...offline, repoType: "dataset" }).catch((e: Error) => e);
    expect(dataset).toBeInstanceOf(OfflineModeError);
    expect((dataset as Error).message).toEndWith(": no refs/main or snapshot. Run once without HF_HUB_OFFLINE to download it.");
    expect(hub.requests.length).toBe(0);
    await downloadModel(REPO, opts());
    hub.requests.length = 0;
    const snap = await downloadModel(REPO, offline);
    expect(snap.files.sort()).toEqual(["config.json", "model.safetensors", "tokenizer.json"]);
    expect(snap.downloaded).toEqual([]);
    expect(hub.requests.length).toBe(0);
  });
});
