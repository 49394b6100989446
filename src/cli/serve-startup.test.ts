/**
 * `serve` start-up failures, through the real CLI in a subprocess: each prints exactly one line on stderr
 * (no stack trace) and exits non-zero. Fixtures are small files written here, in a temp folder.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mx from "../mlx/index.ts";
import { formatSize } from "../models/checkpoint-file.ts";
import { GGML, tinyLlamaTensors, writeGguf, writeSafetensors, writeTinyConfig } from "../models/checkpoint-testing.ts";

const MAIN = join(import.meta.dir, "main.ts");
const root = mkdtempSync(join(tmpdir(), "vmlx-startup-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A free TCP port on 127.0.0.1, or a listening server holding one. */
async function listenOnFreePort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as { port: number }).port, server };
}

async function freePort(): Promise<number> {
  const { port, server } = await listenOnFreePort();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `vllm-mlx serve <args>` from `root` with a small KV pool; returns the exit code and stderr. */
async function serve(args: string[], port?: number): Promise<{ code: number | null; err: string }> {
  const argv = [process.execPath, MAIN, "serve", ...args, "--max-cache-blocks", "64", "--port", String(port ?? (await freePort()))];
  const proc = Bun.spawn(argv, { cwd: root, env: { ...process.env, NO_COLOR: "1" }, stdout: "ignore", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill(), 60_000);
  const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, err };
}

/** The run printed exactly `line` on stderr, no stack frame, and exited with `code`. */
function expectOneLine(run: { code: number | null; err: string }, line: string, code = 1): void {
  expect(run.err.split("\n").filter((l) => l.startsWith("    at "))).toEqual([]);
  expect(run.err).toBe(`${line}\n`);
  expect(run.code).toBe(code);
}

/** A folder with the tiny Llama config.json and `write` making its weights. */
function modelDir(name: string, write: (dir: string) => void, edit?: (config: Record<string, unknown>) => void): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeTinyConfig(dir, edit);
  write(dir);
  return dir;
}

const validWeights = (dir: string) => writeSafetensors(join(dir, "model.safetensors"), tinyLlamaTensors());
const LOAD_FAILED = "serve: model load failed:";

describe("serve: a model that cannot be found", () => {
  test("a missing folder", async () => {
    expectOneLine(await serve(["./does-not-exist"]), `serve: cannot use model './does-not-exist': ${root}/does-not-exist does not exist`);
  });

  test("a missing .gguf file", async () => {
    expectOneLine(await serve(["missing.gguf"]), `serve: cannot use model 'missing.gguf': ${root}/missing.gguf does not exist`);
  });

  test("a missing file that is no repo id either", async () => {
    expectOneLine(await serve(["weights.safetensors"]),
      `serve: cannot use model 'weights.safetensors': ${root}/weights.safetensors does not exist, ` +
        "and it is not a Hugging Face repo id like 'org/name[@revision]'");
  });

  test("a safetensors file given instead of its folder", async () => {
    writeSafetensors(join(root, "loose.safetensors"), [{ name: "w", shape: [4] }]);
    expectOneLine(await serve(["./loose.safetensors"]),
      "serve: cannot use model './loose.safetensors': a model file must be a .gguf file (for safetensors, pass the folder holding config.json)");
  });

  test("a folder without config.json", async () => {
    mkdirSync(join(root, "no-config"));
    writeSafetensors(join(root, "no-config", "model.safetensors"), [{ name: "w", shape: [4] }]);
    expectOneLine(await serve(["./no-config"]), "serve: cannot use model './no-config': no config.json or .gguf file");
  });
});

describe("serve: truncated or corrupt safetensors", () => {
  test("a header length past the end of the file", async () => {
    const dir = modelDir("st-long", (d) => {
      const bytes = new Uint8Array(20);
      new DataView(bytes.buffer).setBigUint64(0, 4096n, true);
      writeFileSync(join(d, "model.safetensors"), bytes);
    });
    expectOneLine(await serve([dir]),
      `${LOAD_FAILED} ${dir}/model.safetensors: header length 4096 does not fit the file (20 bytes); truncated or not a safetensors file`);
  });

  test("a header that is not JSON", async () => {
    const dir = modelDir("st-json", (d) => {
      const text = new TextEncoder().encode("{not json at all}");
      const bytes = new Uint8Array(8 + text.byteLength + 64);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(text.byteLength), true);
      bytes.set(text, 8);
      writeFileSync(join(d, "model.safetensors"), bytes);
    });
    expectOneLine(await serve([dir]),
      `${LOAD_FAILED} ${dir}/model.safetensors: header is not valid JSON; the file is corrupt or not a safetensors file`);
  });

  test("tensor data shorter than its offsets say", async () => {
    const dir = modelDir("st-short", validWeights);
    const file = join(dir, "model.safetensors");
    const size = statSync(file).size;
    truncateSync(file, size - 100);
    // The last tensor written is the last in the file: layer 1's post-attention norm, 64 floats.
    expectOneLine(await serve([dir]),
      `${LOAD_FAILED} ${file}: tensor 'model.layers.1.post_attention_layernorm.weight' ends at byte ${size} ` +
        `but the file has ${size - 100} (truncated?)`);
  });
});

describe("serve: truncated or corrupt GGUF", () => {
  const META = { "general.architecture": "llama", "llama.block_count": 1 };
  const norm = { name: "output_norm.weight", shape: [64], type: GGML.F32 };

  test("bad magic", async () => {
    const file = join(root, "bad-magic.gguf");
    writeGguf(file, META, [norm]);
    const bytes = new Uint8Array(await Bun.file(file).arrayBuffer());
    bytes.set(new TextEncoder().encode("GGML"), 0);
    writeFileSync(file, bytes);
    expectOneLine(await serve([file]),
      `${LOAD_FAILED} ${file}: does not start with the GGUF magic (found "GGML"); not a GGUF file or corrupt`);
  });

  test("truncated tensor data", async () => {
    const file = join(root, "short.gguf");
    writeGguf(file, META, [{ name: "token_embd.weight", shape: [128, 64], type: GGML.F32 }, norm]);
    const size = statSync(file).size;
    truncateSync(file, size - 200);
    // Two tensors: 32768 + 256 bytes, the second at the next 32-byte boundary after the first.
    const dataStart = size - 32768 - 256;
    expectOneLine(await serve([file]),
      `${LOAD_FAILED} ${file}: tensor 'output_norm.weight' ends at byte ${dataStart + 32768 + 256} but the file has ${size - 200} (truncated?)`);
  });

  test("a tensor type we do not load", async () => {
    const file = join(root, "q5.gguf");
    writeGguf(file, META, [{ name: "blk.0.attn_q.weight", shape: [64, 64], type: GGML.Q5_0 }, norm]);
    expectOneLine(await serve([file]),
      `${LOAD_FAILED} ${file}: tensor 'blk.0.attn_q.weight' has type Q5_0, which vllm-mlx does not load ` +
        "(supported: F32, F16, Q4_0, Q4_1, Q8_0, Q2_K, Q4_K, Q6_K, BF16)");
  });
});

describe("serve: models we do not support", () => {
  test("an unknown model_type", async () => {
    const dir = modelDir("mamba", validWeights, (c) => (c.model_type = "mamba"));
    expectOneLine(await serve([dir]),
      `${LOAD_FAILED} unknown model_type 'mamba' (supported: llama, mistral, qwen2, qwen3, qwen2_vl, qwen2_5_vl, qwen3_vl, gemma3, llava, llava_next, gemma2, gemma3_text, phi3)`);
  });

  test("7-bit quantization", async () => {
    const dir = modelDir("bits7", validWeights, (c) => (c.quantization = { group_size: 64, bits: 7 }));
    expectOneLine(await serve([dir]), `${LOAD_FAILED} quantization bits 7 is not supported (2, 3, 4, 5, 6 or 8)`);
  });

  test("weights larger than the memory budget (a sparse file whose header declares them)", async () => {
    const budget = mx.getMemoryLimit();
    const rows = Math.ceil((budget * 1.25) / (64 * 4));
    const dir = modelDir("huge", (d) => {
      writeSafetensors(join(d, "model.safetensors"), [{ name: "model.embed_tokens.weight", shape: [rows, 64] }], { sparse: true });
    }, (c) => (c.vocab_size = rows));
    expect(statSync(join(dir, "model.safetensors")).blocks * 512).toBeLessThan(1 << 20);
    expectOneLine(await serve([dir]),
      `${LOAD_FAILED} ${dir}: the weights take ${formatSize(rows * 64 * 4)}, more than the ${formatSize(budget)} ` +
        "this machine can hold (MLX's memory limit); pick a smaller or more quantized model");
  });
});

describe("serve: an address it cannot listen on", () => {
  test("a port already in use", async () => {
    const dir = modelDir("ok", validWeights);
    const { port, server } = await listenOnFreePort();
    try {
      expectOneLine(await serve([dir], port), `serve: port ${port} on 127.0.0.1 is already in use (pass --port to pick another)`);
    } finally {
      server.close();
    }
  });

  test("a --host that is not an address", async () => {
    expectOneLine(await serve([join(root, "ok"), "--host", "999.1.1.1"]),
      "serve: --host '999.1.1.1' is neither an IP address nor a host name that resolves");
  });

  test("a --host that is not this machine's", async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a real interface.
    expectOneLine(await serve([join(root, "ok"), "--host", "192.0.2.1"]),
      "serve: --host '192.0.2.1' is not an address of this machine (pass --host 127.0.0.1, or 0.0.0.0 for every interface)");
  });
});
