import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { AppControl, createControlApp } from "./control.ts";
import { cachedHubModels, listModels, localModelProblem } from "./models.ts";

const scratch = mkdtempSync(join(os.tmpdir(), "vllm-mlx-desktop-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function fakeSnapshot(cache: string, repo: string, files: Record<string, string>): void {
  const dir = join(cache, `models--${repo.replace("/", "--")}`, "snapshots", "abc123");
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

describe("the model picker", () => {
  test("lists loadable Hugging Face cache snapshots, not incomplete ones", () => {
    const cache = join(scratch, "hub");
    fakeSnapshot(cache, "org/good", { "config.json": "{}", "model.safetensors": "" });
    fakeSnapshot(cache, "org/no-weights", { "config.json": "{}" });
    expect(cachedHubModels(cache).map((m) => m.spec)).toEqual(["org/good"]);
    const all = listModels({ HF_HUB_CACHE: cache, VLLM_MLX_HOME: join(scratch, "home") });
    expect(all.map((m) => [m.spec, m.source, m.present])).toEqual([["default", "default", false], ["org/good", "hf-cache", true]]);
    expect(all[0]!.label).toContain("downloaded on start");
  });

  test("checks a local folder or file before it is offered", () => {
    expect(localModelProblem(join(scratch, "missing"))).toContain("does not exist");
    const file = join(scratch, "notes.txt");
    writeFileSync(file, "x");
    expect(localModelProblem(file)).toContain("neither a folder nor a .gguf file");
    expect(localModelProblem(scratch)).toContain("no config.json");
  });
});

describe("the control server", () => {
  const control = new AppControl();
  const app = createControlApp(control, 4321);
  const api = (path: string, init: RequestInit = {}) =>
    app.request(`http://127.0.0.1:4321${path}`, { ...init, headers: { "X-Vllm-Mlx-App": "1", "Content-Type": "application/json", ...init.headers } });

  test("its API needs the app's header (a page of another origin cannot send it) and the Host check holds", async () => {
    expect((await app.request("http://127.0.0.1:4321/app/api/server")).status).toBe(403);
    expect((await app.request("http://127.0.0.1:4321/app/api/server", { headers: { "X-Vllm-Mlx-App": "1", Host: "evil.example" } })).status).toBe(421);
    expect(await (await api("/app/api/server")).json()).toEqual({ state: "stopped" });
  });

  test("model routes answer 503 while no server runs", async () => {
    const res = await api("/v1/models");
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_running");
  });

  test("a start that fails leaves it stopped with the reason, and logs it", async () => {
    const res = await api("/app/api/server/start", { method: "POST", body: JSON.stringify({ model: join(scratch, "missing"), port: 8000 }) });
    const state = (await res.json()) as { state: string; error?: string };
    expect(state.state).toBe("stopped");
    expect(state.error).toContain("does not exist");
    expect(control.logs.recent().at(-1)?.message).toContain("start failed");
  });

  test("a bad engine flag is reported, not thrown", async () => {
    const body = { model: "default", port: 8000, flags: { "max-num-seqs": "zero" } };
    const state = (await (await api("/app/api/server/start", { method: "POST", body: JSON.stringify(body) })).json()) as { error?: string };
    expect(state.error).toContain("--max-num-seqs must be a positive whole number");
  });

  test("the app page and the chat page are served", async () => {
    const page = await app.request("http://127.0.0.1:4321/ui/desktop.html");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>vLLM-MLX</title>");
    expect((await app.request("http://127.0.0.1:4321/")).headers.get("content-security-policy")).toContain("frame-ancestors 'self'");
  }, 30_000);
});
