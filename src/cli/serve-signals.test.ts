/**
 * `serve`'s shutdown through the real CLI: a first SIGINT drains (running streams get up to 10 s), a second one
 * cancels the running streams at once, and the process still exits 0.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTinyModel } from "../models/gguf-testing.ts";

const MAIN = join(import.meta.dir, "main.ts");
const root = mkdtempSync(join(tmpdir(), "vmlx-signals-"));
let server: Bun.Subprocess<"ignore", "pipe", "pipe"> | null = null;
afterAll(async () => {
  if (server && server.exitCode === null) server.kill("SIGKILL");
  await server?.exited;
  rmSync(root, { recursive: true, force: true });
});

describe("serve and a second SIGINT", () => {
  test("cancels the running streams at once and exits 0, well before the 10 s grace", async () => {
    const paths = await writeTinyModel(root, { arch: "llama" });
    const probe = Bun.serve({ port: 0, fetch: () => new Response() });
    const port = probe.port!;
    probe.stop(true);
    // One sequence at a time: 6 streams of 16 choices of 2000 tokens take far longer than the grace.
    server = Bun.spawn([process.execPath, MAIN, "serve", paths.gguf, "--port", String(port), "--max-num-seqs", "1", "--no-warmup"], {
      cwd: root, env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe",
    });
    const base = `http://127.0.0.1:${port}`;
    for (const deadline = Date.now() + 60_000; ; await Bun.sleep(200)) {
      if (server.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start: ${await new Response(server.stderr).text()}`);
      if ((await fetch(`${base}/health`).catch(() => null))?.status === 200) break;
    }
    const streams = await Promise.all(Array.from({ length: 6 }, () => fetch(`${base}/v1/completions`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "hi", max_tokens: 2000, n: 16, ignore_eos: true, stream: true }),
    })));
    const bodies = streams.map((r) => r.text());
    // The first stream is decoding (polled: admission and the first step may trail the response headers).
    let running = 0;
    for (const deadline = Date.now() + 20_000; running === 0 && Date.now() < deadline; await Bun.sleep(50)) {
      running = ((await (await fetch(`${base}/health`)).json()) as { stats: { running: number } }).stats.running;
    }
    expect(running).toBe(1);
    server.kill("SIGINT");
    await Bun.sleep(300);
    expect(server.exitCode).toBeNull(); // draining
    const t0 = performance.now();
    server.kill("SIGINT");
    expect(await server.exited).toBe(0);
    expect(performance.now() - t0).toBeLessThan(8000); // the first signal alone would wait out the 10 s grace
    const logs = (await new Response(server.stdout).text()) + (await new Response(server.stderr).text());
    expect(logs).toContain("SIGINT: shutting down");
    expect(logs).toContain("SIGINT again: cancelling the running requests");
    for (const body of await Promise.all(bodies)) {
      expect(body).toContain('"finish_reason":"abort"');
      expect(body.trimEnd().endsWith("data: [DONE]")).toBe(true);
    }
  }, 120_000);
});
