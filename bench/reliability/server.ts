/**
 * The server under test: `vllm-mlx serve` started from source (or the built binary) with a small KV budget, its
 * health, its Prometheus gauges and its resident memory.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dir, "..", "..");

/**
 * The KV budget every part runs with: 256 blocks. At 32 tokens a block they hold one sequence of the default
 * model's 8,192-token context (at the default 16 the server refuses to start: one max-length sequence needs 512).
 */
export const KV_FLAGS = ["--max-cache-blocks", "256", "--paged-cache-block-size", "32"] as const;

/**
 * The admission limits the overload part sets (the engine's queue length and queue wait). Change the names here
 * if the flags are renamed; a flag that `serve --help` does not list is left out and reported.
 */
export const ADMISSION_FLAGS = { queueLen: "--max-queue-len", queueTimeout: "--queue-timeout" } as const;

export interface ServerSpec {
  /** Path of a built binary; absent: `bun src/cli/main.ts`. */
  binary?: string;
  maxNumSeqs: number;
  /** Flags added after the KV flags, e.g. admission limits. */
  extraFlags?: string[];
  /** Start with serve's default flags only (no KV budget, no --max-num-seqs): what a new user runs. */
  defaults?: boolean;
}

function command(spec: ServerSpec): string[] {
  return spec.binary ? [spec.binary] : [process.execPath, join(REPO_ROOT, "src", "cli", "main.ts")];
}

/** The `--flags` that `serve --help` lists (ANSI colour stripped). */
export async function supportedServeFlags(spec: Pick<ServerSpec, "binary">): Promise<Set<string>> {
  const proc = Bun.spawn([...command({ ...spec, maxNumSeqs: 1 }), "serve", "--help"], {
    cwd: REPO_ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" },
  });
  const text = (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text());
  await proc.exited;
  return new Set(text.replace(/\x1b\[[0-9;]*m/g, "").match(/--[a-z][a-z0-9-]*/g) ?? []);
}

async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port!;
  await probe.stop(true);
  return port;
}

/** Prometheus text -> `name{labels}` -> value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** VmRSS of a process in bytes, from /proc/<pid>/status; null when the process is gone. */
export function residentBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const LOG_KEEP = 64 * 1024;

/**
 * One running server. `start` waits for `/health` 200; `alive` tells whether the process still runs.
 *
 * @example
 *   await using server = await TestServer.start({ maxNumSeqs: 2 });
 *   await fetch(`${server.url}/health`);
 */
export class TestServer {
  /** Servers started and not yet stopped: a part that throws midway leaves none running (`stopAll`). */
  static readonly #live = new Set<TestServer>();
  #logs = "";
  private constructor(
    readonly proc: ReturnType<typeof Bun.spawn>,
    readonly url: string,
    readonly port: number,
    readonly args: string[],
  ) {
    const decoder = new TextDecoder();
    for (const stream of [proc.stdout, proc.stderr] as ReadableStream<Uint8Array>[]) {
      void (async () => {
        for await (const chunk of stream) this.#logs = (this.#logs + decoder.decode(chunk)).slice(-LOG_KEEP);
      })();
    }
  }

  static async start(spec: ServerSpec, readyTimeoutMs = 180_000): Promise<TestServer> {
    const port = await freePort();
    const tuned = spec.defaults ? [] : ["--max-num-seqs", String(spec.maxNumSeqs), ...KV_FLAGS];
    const args = ["serve", "--port", String(port), "--log-level", "warn", ...tuned, ...(spec.extraFlags ?? [])];
    const proc = Bun.spawn([...command(spec), ...args], {
      cwd: REPO_ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" },
    });
    const server = new TestServer(proc, `http://127.0.0.1:${port}`, port, args);
    TestServer.#live.add(server);
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline && server.alive()) {
      if ((await server.healthStatus(2000)) === 200) return server;
      await Bun.sleep(250);
    }
    await server.stop();
    throw new Error(`server did not become healthy (${args.join(" ")}):\n${server.logs}`);
  }

  get pid(): number {
    return this.proc.pid;
  }

  get logs(): string {
    return this.#logs;
  }

  alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** `/health`'s status, 0 on a network error or timeout. */
  async healthStatus(timeoutMs = 5000): Promise<number> {
    try {
      const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  async metrics(): Promise<Map<string, number>> {
    const res = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
    return parseMetrics(await res.text());
  }

  rss(): number | null {
    return residentBytes(this.pid);
  }

  /**
   * Waits until no request runs or waits and the KV blocks in use equal `blocks`; returns the last value seen
   * (so a caller can tell a leak from a match).
   */
  async waitKvBlocks(blocks: number, timeoutMs: number): Promise<{ used: number; running: number; waiting: number }> {
    const deadline = Date.now() + timeoutMs;
    let last = { used: Number.NaN, running: Number.NaN, waiting: Number.NaN };
    while (Date.now() < deadline && this.alive()) {
      const m = await this.metrics().catch(() => null);
      if (m) {
        last = {
          used: m.get("vllm_mlx_kv_cache_blocks_used") ?? Number.NaN,
          running: m.get("vllm_mlx_num_requests_running") ?? Number.NaN,
          waiting: m.get("vllm_mlx_num_requests_waiting") ?? Number.NaN,
        };
        if (last.used === blocks && last.running === 0 && last.waiting === 0) return last;
      }
      await Bun.sleep(250);
    }
    return last;
  }

  /** Stops every server still running. */
  static async stopAll(): Promise<void> {
    await Promise.all([...TestServer.#live].map((s) => s.stop()));
  }

  async stop(): Promise<void> {
    TestServer.#live.delete(this);
    if (this.alive()) {
      this.proc.kill("SIGTERM");
      const exited = await Promise.race([this.proc.exited.then(() => true), Bun.sleep(15_000).then(() => false)]);
      if (!exited) this.proc.kill("SIGKILL");
    }
    await this.proc.exited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
