#!/usr/bin/env bun
/**
 * VLM benchmark, ours against mlx-vlm's own generation, on the same random-weight checkpoints, the same image
 * and the same prompt, on one machine. For each subject, `--rounds` rounds; each round runs both sides as
 * fresh processes (each loads, warms up once, then measures one request), the order alternating from round
 * to round. Medians are reported with ratios:
 *   encoder ratio = mlx-vlm encoder time / ours   (>= 1.0: our vision tower is at least as fast)
 *   decode ratio  = ours decode tok/s / mlx-vlm's (>= 1.0: our decode is at least as fast)
 *
 *   bun bench/vlm/run.ts                                     # the CPU default (layer-reduced, see below)
 *   bun bench/vlm/run.ts --backend cuda --image 1024x1024 --max-tokens 128 --rounds 5 --text-layers 36 \
 *     --vision-layers full                                   # the real depths on a GPU machine
 *
 * Subjects: random weights at the real widths of Qwen2.5-VL-3B-Instruct and Qwen3-VL-4B-Instruct (hidden
 * sizes, heads, MLP widths, vocabulary, patch sizes, window / deepstack layout), with --text-layers decoder
 * layers and --vision-layers tower blocks; fp32 and 4-bit (group 64, every Linear with a 64-multiple input).
 * Env: PYTHON_MLX_VLM (a python with mlx + mlx-vlm; default .cache/vlm-venv/bin/python).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { IMAGE_QUESTION } from "../../src/bench/vlm-bench.ts";
import { syntheticImage } from "../../src/bench/vlm-cases.ts";
import { loadTokenizer } from "../../src/tokenizer/index.ts";
import { writeQwenVlFixture, type QwenVlArch } from "../../scripts/fixtures/vlm-qwen.ts";
import { medianOf, renderVlmMarkdown, type SideResult, type SubjectReport } from "./report.ts";
import { realShape } from "./shapes.ts";

const HERE = import.meta.dir;
const ROOT = resolve(HERE, "..", "..");
const { values: args } = parseArgs({
  options: {
    archs: { type: "string", default: "qwen2_5_vl,qwen3_vl" },
    precisions: { type: "string", default: "fp32,4bit" },
    image: { type: "string", default: "336x336" },
    "max-tokens": { type: "string", default: "16" },
    rounds: { type: "string", default: "3" },
    "text-layers": { type: "string", default: "4" },
    "vision-layers": { type: "string", default: "4" },
    backend: { type: "string", default: process.env.VLLM_MLX_BACKEND ?? "cpu" },
    out: { type: "string", default: HERE },
    "models-dir": { type: "string", default: join(ROOT, ".cache", "bench-vlm") },
  },
});
const backend = args.backend!;
process.env.VLLM_MLX_BACKEND = backend;
const PYTHON = process.env.PYTHON_MLX_VLM ?? join(ROOT, ".cache", "vlm-venv", "bin", "python");
const [width, height] = args.image!.split("x").map(Number) as [number, number];
const rounds = Number(args.rounds);
const textLayers = Number(args["text-layers"]);
const visionLayers = args["vision-layers"] === "full" ? "full" : Number(args["vision-layers"]);
if (!(width > 0 && height > 0 && rounds > 0 && textLayers > 0)) throw new Error("bad --image, --rounds or --text-layers");

function sh(cmd: string[]): string {
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", env: process.env });
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed (${p.exitCode}):\n${p.stderr.toString().slice(-3000)}`);
  return p.stdout.toString().trim();
}

function fixture(arch: QwenVlArch, precision: string): string {
  const dir = join(args["models-dir"]!, `${arch}-t${textLayers}-v${visionLayers}-${precision}`);
  if (!existsSync(join(dir, "model.safetensors"))) {
    console.error(`[bench-vlm] writing ${dir}`);
    // "4bit": float32 tensors and scales; "4bit-bf16": bfloat16 ones, as mlx-community's checkpoints; "fp32".
    writeQwenVlFixture(arch, dir, { seed: 7, shape: realShape(arch, textLayers, visionLayers),
      ...(precision.startsWith("4bit") ? { bits: 4 } : {}), ...(precision.endsWith("bf16") ? { dtype: "bfloat16" as const } : {}) });
  }
  return dir;
}

const device = backend === "cpu" ? "cpu" : "gpu";
function side(name: "ours" | "mlx-vlm", dir: string, imagePath: string, promptFile: string): SideResult {
  const common = ["--model", dir, "--image", imagePath, "--prompt-file", promptFile, "--max-tokens", args["max-tokens"]!];
  const cmd = name === "ours" ? [process.execPath, join(HERE, "ours.ts"), ...common]
    : [PYTHON, join(HERE, "mlx_vlm_gen.py"), ...common, "--device", device];
  return JSON.parse(sh(cmd).split("\n").at(-1)!) as SideResult;
}

mkdirSync(args["models-dir"]!, { recursive: true });
const imagePath = join(args["models-dir"]!, `image-${width}x${height}.png`);
// The same synthetic picture for both sides, lossless.
const img = syntheticImage(width, height, 1);
await sharp(img.data, { raw: { width, height, channels: 3 } }).png().toFile(imagePath);

const reports: SubjectReport[] = [];
for (const arch of args.archs!.split(",") as QwenVlArch[]) {
  for (const precision of args.precisions!.split(",")) {
    const dir = fixture(arch, precision);
    const tokenizer = await loadTokenizer(dir);
    const text = tokenizer.applyChatTemplate([{ role: "user", content: [{ type: "image" }, { type: "text", text: IMAGE_QUESTION }] }]);
    const promptFile = join(args["models-dir"]!, `prompt-${process.pid}.json`);
    writeFileSync(promptFile, JSON.stringify({ text, question: IMAGE_QUESTION }));
    const runs: { ours: SideResult[]; theirs: SideResult[] } = { ours: [], theirs: [] };
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (["ours", "mlx-vlm"] as const) : (["mlx-vlm", "ours"] as const);
      for (const name of order) {
        const result = side(name, dir, imagePath, promptFile);
        (name === "ours" ? runs.ours : runs.theirs).push(result);
        console.error(`[bench-vlm] ${arch} ${precision} round ${r + 1} ${name}: encoder ${result.encode_ms.toFixed(1)} ms, ` +
          `TTFT ${result.ttft_ms.toFixed(1)} ms, decode ${result.decode_tps.toFixed(2)} tok/s`);
      }
    }
    rmSync(promptFile, { force: true });
    const a = runs.ours[0]!;
    const b = runs.theirs[0]!;
    if (a.prompt_tokens !== b.prompt_tokens || a.media_tokens !== b.media_tokens) {
      throw new Error(`${arch} ${precision}: prompts differ (ours ${a.prompt_tokens}/${a.media_tokens}, mlx-vlm ${b.prompt_tokens}/${b.media_tokens})`);
    }
    reports.push({ arch, precision, promptTokens: a.prompt_tokens, mediaTokens: a.media_tokens,
      ours: medianOf(runs.ours), theirs: medianOf(runs.theirs), runs });
  }
}
const meta = { backend, image: `${width}x${height}`, maxTokens: Number(args["max-tokens"]), rounds, textLayers, visionLayers,
  date: new Date().toISOString(), host: `${process.platform}-${process.arch}`, python: sh([PYTHON, "-c", "import mlx_vlm, mlx.core as mx; print(mlx_vlm.__version__, mx.__version__)"]) };
writeFileSync(join(args.out!, `results-${backend}.json`), `${JSON.stringify({ meta, reports }, null, 2)}\n`);
console.log(renderVlmMarkdown(meta, reports));
