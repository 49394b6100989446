#!/usr/bin/env bun
/**
 * Preprocessing parity against mlx-vlm 0.7.10: writes PNG/JPEG images of several sizes and aspect ratios (and
 * raw video frames), runs scripts/parity/vlm-preprocess-oracle.py on them in the given Python, then runs our
 * decoders and processors on the same files and compares pixel values (max |diff| <= 1e-5 after
 * normalization), grids, image sizes and image-token counts. For the Qwen-VL videos it also compares the full
 * prompt ids (mlx-vlm's processor against our expansion and the same Qwen tokenizer), without timing and with
 * source frame indices and fps (Qwen3-VL's timestamped blocks). One line per case; exits 1 on any mismatch.
 *
 *   bun scripts/parity-vlm-preprocess.ts .cache/vlm-venv/bin/python .cache/parity-vlm-preprocess
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeImage, type RgbImage } from "../src/media/image.ts";
import { gradientImage } from "../src/media/testing.ts";
import { loadVisionProcessor } from "../src/models/vision/load-processor.ts";
import { expandPlaceholders, placeholderRanges, placeholderRuns, type ProcessedMedia, type VisionProcessor } from "../src/models/vision/processor.ts";
import type { VideoTiming } from "../src/models/vision/video-timestamps.ts";
import { loadTokenizer, type ModelTokenizer } from "../src/tokenizer/index.ts";
import { lenmlDir } from "../src/tokenizer/testdata/fixtures.ts";

const TOLERANCE = 1e-5;
const FIXTURES = join(import.meta.dir, "parity", "vlm-preprocess-fixtures");
const IMAGES: [string, number, number, "png" | "jpeg", 3 | 4][] = [
  ["tiny-40x30", 40, 30, "png", 3],
  ["vga-640x480", 640, 480, "png", 3],
  ["portrait-480x640", 480, 640, "jpeg", 3],
  ["wide-900x200", 900, 200, "png", 3],
  ["tall-150x700", 150, 700, "jpeg", 3],
  ["rgba-333x251", 333, 251, "png", 4],
];
const VIDEOS: [string, number, number, number][] = [["video-6x96x64", 6, 96, 64], ["video-5x120x90", 5, 120, 90]];
const PROMPT = "<|im_start|>user\n<|vision_start|><|video_pad|><|vision_end|>What happens in this video?<|im_end|>\n<|im_start|>assistant\n";
/** Source timing for the videos' prompts: 4 fps with uneven gaps, so group times land on and off ties (0.25 -> "0.2"). */
const SOURCE_FPS = 4;
const SOURCE_INDICES = [0, 2, 4, 7, 9, 10];

function videoFrames(frames: number, width: number, height: number): RgbImage[] {
  return Array.from({ length: frames }, (_, t) => {
    const data = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) {
      const x = i % width, y = Math.floor(i / width);
      data.set([(x * 5 + t * 40) & 255, (y * 3 + t * 17) & 255, ((x ^ y) * 7 + t) & 255], i * 3);
    }
    return { width, height, data };
  });
}

async function writeInputs(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const manifest = { images: [] as { name: string; file: string }[], videos: [] as object[] };
  for (const [name, w, h, format, channels] of IMAGES) {
    const file = `${name}.${format === "png" ? "png" : "jpg"}`;
    writeFileSync(join(dir, file), await gradientImage(w, h, format, channels));
    manifest.images.push({ name, file });
  }
  for (const [name, frames, width, height] of VIDEOS) {
    const file = `${name}.rgb`;
    writeFileSync(join(dir, file), Buffer.concat(videoFrames(frames, width, height).map((f) => f.data)));
    manifest.videos.push({ name, file, frames, width, height, timing: { source_fps: SOURCE_FPS, indices: SOURCE_INDICES.slice(0, frames) } });
  }
  writeFileSync(join(dir, "manifest.json"), JSON.stringify({ ...manifest, prompt: PROMPT }));
}

function compare(ours: ProcessedMedia, want: { shape: number[]; grid_thw?: number[]; image_size?: number[]; num_tokens: number }, pixels: Float32Array): { ok: boolean; diff: number; note: string } {
  const notes: string[] = [];
  if (ours.pixelValues.shape.join() !== want.shape.join()) notes.push(`shape ${ours.pixelValues.shape} vs ${want.shape}`);
  if (want.grid_thw && ours.gridThw?.join() !== want.grid_thw.join()) notes.push(`grid ${ours.gridThw} vs ${want.grid_thw}`);
  if (want.image_size && ours.imageSize?.join() !== want.image_size.join()) notes.push(`image size ${ours.imageSize} vs ${want.image_size}`);
  if (ours.numTokens !== want.num_tokens) notes.push(`tokens ${ours.numTokens} vs ${want.num_tokens}`);
  let diff = notes.length > 0 || pixels.length !== ours.pixelValues.data.length ? Infinity : 0;
  if (diff === 0) for (let i = 0; i < pixels.length; i++) diff = Math.max(diff, Math.abs(pixels[i]! - ours.pixelValues.data[i]!));
  return { ok: notes.length === 0 && diff <= TOLERANCE, diff, note: `${ours.numTokens} tokens${notes.length ? `; ${notes.join("; ")}` : ""}` };
}

const [python, work = ".cache/parity-vlm-preprocess"] = process.argv.slice(2);
if (!python) throw new Error("usage: bun scripts/parity-vlm-preprocess.ts PYTHON [WORK_DIR]");
rmSync(work, { recursive: true, force: true });
await writeInputs(join(work, "inputs"));
const oracle = Bun.spawnSync([python, join(import.meta.dir, "parity", "vlm-preprocess-oracle.py"), FIXTURES, work, lenmlDir("qwen3")], { stdout: "inherit", stderr: "inherit" });
if (oracle.exitCode !== 0) throw new Error("the mlx-vlm preprocessing oracle failed");

/** Our full prompt ids for one video, checked to locate as one item whose range runs from its first pad to its last. */
function promptIds(tokenizer: ModelTokenizer, processor: VisionProcessor, video: ProcessedMedia): number[] {
  const ids = tokenizer.encode(expandPlaceholders(PROMPT, [video], processor), { addSpecialTokens: false });
  const pad = tokenizer.tokenToId("<|video_pad|>")!;
  const [[start, end]] = placeholderRanges(ids, pad, [placeholderRuns(video)]) as [[number, number]];
  if (ids[start] !== pad || ids[end - 1] !== pad) throw new Error("a video's range does not start and end at its pads");
  return ids;
}

/** Compares both prompts of one video; returns how many differ. */
function comparePrompts(family: string, name: string, ours: Record<string, number[]>, want: Record<string, number[]>): number {
  let bad = 0;
  for (const key of ["plain", "timed"]) {
    const a = ours[key]!, b = want[key]!;
    const at = a.findIndex((t, i) => t !== b[i]);
    const same = a.length === b.length && at === -1;
    if (!same) bad++;
    console.log(`parity-vlm-preprocess ${same ? "ok  " : "FAIL"} ${`${family}/${name}.prompt-${key}`.padEnd(32)} ${a.length} prompt ids${same ? "" : ` vs ${b.length}; first difference at ${at === -1 ? Math.min(a.length, b.length) : at}`}`);
  }
  return bad;
}

const tokenizer = await loadTokenizer(lenmlDir("qwen3"));
let total = 0, failures = 0;
for (const family of readdirSync(FIXTURES).sort()) {
  const processor = loadVisionProcessor(join(FIXTURES, family))!;
  const cases: [string, () => Promise<ProcessedMedia>][] = IMAGES.map(([name, , , format]) => [
    name,
    async () => processor.processImage(await decodeImage(new Uint8Array(await Bun.file(join(work, "inputs", `${name}.${format === "png" ? "png" : "jpg"}`)).arrayBuffer()), 64e6)),
  ]);
  if (processor.processVideo) for (const [name, f, w, h] of VIDEOS) cases.push([name, async () => processor.processVideo!(videoFrames(f, w, h))]);
  for (const [name, run] of cases) {
    total++;
    const base = join(work, "oracle", family, name);
    const want = await Bun.file(`${base}.json`).json();
    const pixels = new Float32Array(await Bun.file(`${base}.f32`).arrayBuffer());
    const { ok, diff, note } = compare(await run(), want, pixels);
    if (!ok) failures++;
    console.log(`parity-vlm-preprocess ${ok ? "ok  " : "FAIL"} ${`${family}/${name}`.padEnd(32)} max|diff| ${diff.toExponential(2)} (limit ${TOLERANCE})  ${note}`);
  }
  if (!family.startsWith("qwen")) continue;
  for (const [name, f, w, h] of VIDEOS) {
    total += 2;
    const frames = videoFrames(f, w, h);
    const timing: VideoTiming = { sourceFps: SOURCE_FPS, indices: SOURCE_INDICES.slice(0, f) };
    const ours = { plain: promptIds(tokenizer, processor, processor.processVideo!(frames)), timed: promptIds(tokenizer, processor, processor.processVideo!(frames, timing)) };
    const want = (await Bun.file(join(work, "oracle", family, `${name}.prompt.json`)).json()) as Record<string, number[]>;
    failures += comparePrompts(family, name, ours, want);
  }
}
console.log(`parity-vlm-preprocess: ${total - failures}/${total} fixtures match mlx-vlm`);
process.exit(failures === 0 && total > 0 ? 0 : 1);
