/**
 * A SCRIPTED Qwen3 model: real Qwen3 architecture and tokenizer, with weights constructed (not trained) so
 * that greedy decoding after the chat template's generation prompt emits a chosen text, then `<|im_end|>`.
 *
 * It is a bigram machine. Every attention `o_proj` and MLP `down_proj` is zero, so no layer adds anything to
 * the residual and the final hidden state is the RMS-normalised embedding of the last token. The script is a
 * chain of DISTINCT token ids whose concatenated decode is the text; chain token i embeds as the basis vector
 * e(i+1), the trigger tokens (the last prompt token of the generation prompt) as e(0), and the lm_head row of
 * the token that must follow is a large multiple of its predecessor's basis vector. Everything else is small
 * random noise, so the scripted successor wins by a logit margin of about `gain * sqrt(hidden)`.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mx from "../../../mlx/index.ts";
import { ModelTokenizer } from "../../../tokenizer/index.ts";
import { FIXTURE_VOCAB_SIZE, type FixtureShape, fixtureConfig, fixtureTensors, TOKENIZER_DIR } from "./fixture-model.ts";

const SHAPE: FixtureShape = { hidden: 64, layers: 2, heads: 4, kvHeads: 2, headDim: 16, intermediate: 64 };
const HIDDEN = SHAPE.hidden;
const GAIN = 20;
const NOISE = 0.02;
const SEARCH_LIMIT = 100_000;

/**
 * A Hermes tool call the scripted model can spell. The three `"key": ` closers of the usual spacing
 * (`"name": `, `"arguments": `, `"city": `) cannot take three distinct token paths in Qwen3's vocabulary (a
 * closing quote before a colon is only ever `":` or `"` + `:`), so the last pair is written `"city":"Paris"`;
 * the server re-serialises arguments, so the parsed call is the same.
 */
export const TOOL_CALL_SCRIPT = '<tool_call>\n{"name": "get_weather", "arguments": {"city":"Paris"}}\n</tool_call>';
/** A thinking answer: reasoning "The user wants a greeting.", content "Hello there!". */
export const THINKING_SCRIPT = "<think>\nThe user wants a greeting.\n</think>\n\nHello there!";

/** The script could not be built (no distinct-token path, too long for the hidden size). */
export class ScriptError extends Error {
  override name = "ScriptError";
}

/** What {@link writeScriptedModel} built. */
export interface ScriptedModel {
  dir: string;
  /** The chain of distinct token ids whose decode is the script text. */
  scriptIds: number[];
  /** Prompt-final token ids that start the script (generation prompt with thinking on and off). */
  triggerIds: number[];
  /** The id that ends the script (`<|im_end|>`). */
  eosId: number;
}

/** Options of {@link writeScriptedModel}. */
export interface ScriptedModelOptions {
  maxPositionEmbeddings?: number;
  seed?: number;
}

/** GPT-2's byte-level alphabet: byte b -> the character the BPE vocabulary spells it with. */
function byteLevelAlphabet(): string[] {
  const direct = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const table: string[] = [];
  let shifted = 0;
  for (let b = 0; b < 256; b++) table.push(String.fromCodePoint(direct(b) ? b : 256 + shifted++));
  return table;
}

/** Every vocabulary id whose decode is exactly `piece` (byte-level BPE entry and added token). */
function idsSpelling(tokenizer: ModelTokenizer, piece: string, alphabet: string[]): number[] {
  const spelled = Array.from(new TextEncoder().encode(piece), (b) => alphabet[b]!).join("");
  const ids = new Set<number>();
  for (const token of [spelled, piece]) {
    const id = tokenizer.tokenToId(token);
    if (id !== undefined && tokenizer.decode([id]) === piece) ids.add(id);
  }
  return [...ids];
}

/**
 * Splits `text` into vocabulary pieces with no id repeated and none in `forbidden`: a depth-first search that
 * tries the longest piece first at each position and backtracks on a dead end.
 *
 * @example
 *   findDistinctTokenPath(tok, "a b a", new Set()) // e.g. [64, 293, 264]: "a", " b", " a" (never "a" twice)
 */
export function findDistinctTokenPath(tokenizer: ModelTokenizer, text: string, forbidden: ReadonlySet<number>): number[] {
  const alphabet = byteLevelAlphabet();
  const options: number[][][] = [];
  for (let start = 0; start < text.length; start++) {
    const here: number[][] = [];
    for (let end = text.length; end > start; end--) {
      const ids = idsSpelling(tokenizer, text.slice(start, end), alphabet).filter((id) => !forbidden.has(id));
      if (ids.length > 0) here.push([...ids, end]);
    }
    options.push(here);
  }
  const used = new Set<number>();
  const path: number[] = [];
  let visits = 0;
  const search = (at: number): boolean => {
    if (at === text.length) return true;
    if (++visits > SEARCH_LIMIT) return false;
    for (const entry of options[at]!) {
      const end = entry.at(-1)!;
      for (const id of entry.slice(0, -1)) {
        if (used.has(id)) continue;
        used.add(id);
        path.push(id);
        if (search(end)) return true;
        used.delete(id);
        path.pop();
      }
    }
    return false;
  };
  if (!search(0)) throw new ScriptError(`no path of distinct tokens spells ${JSON.stringify(text)}`);
  return path;
}

/** The last prompt token of the generation prompt, with thinking on and off. */
export function generationTriggers(tokenizer: ModelTokenizer): number[] {
  const messages = [{ role: "user" as const, content: "Hi" }];
  const triggers = new Set<number>();
  for (const enableThinking of [true, false]) {
    const ids = tokenizer.encodeChat(messages, { addGenerationPrompt: true, chatTemplateKwargs: { enable_thinking: enableThinking } });
    triggers.add(ids.at(-1)!);
  }
  return [...triggers];
}

/** A seeded uniform noise table in [-NOISE, NOISE) (mulberry32). */
function noiseTable(seed: number): Float32Array {
  const table = new Float32Array(FIXTURE_VOCAB_SIZE * HIDDEN);
  let state = seed >>> 0;
  for (let i = 0; i < table.length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    table[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * NOISE;
  }
  return table;
}

/** Embedding and lm_head as host buffers: noise everywhere, basis vectors and gains on the chain. */
function chainTables(chain: { triggers: number[]; script: number[]; eos: number }, seed: number) {
  const embed = noiseTable(seed);
  const head = noiseTable(seed + 1);
  const basis = (table: Float32Array, row: number, dim: number, value: number) => {
    table.fill(0, row * HIDDEN, (row + 1) * HIDDEN);
    table[row * HIDDEN + dim] = value;
  };
  for (const id of chain.triggers) basis(embed, id, 0, 1);
  chain.script.forEach((id, i) => basis(embed, id, i + 1, 1));
  [...chain.script, chain.eos].forEach((id, i) => basis(head, id, i, GAIN));
  return { embed, head };
}

function saveWeights(path: string, embed: Float32Array, head: Float32Array, seed: number): void {
  const arrays = new Map<string, mx.Array>();
  try {
    arrays.set("model.embed_tokens.weight", mx.array(embed, { shape: [FIXTURE_VOCAB_SIZE, HIDDEN], dtype: "float32" }));
    arrays.set("lm_head.weight", mx.array(head, { shape: [FIXTURE_VOCAB_SIZE, HIDDEN], dtype: "float32" }));
    fixtureTensors(SHAPE).forEach(([name, shape, kind], i) => {
      if (kind === "one") arrays.set(name, mx.ones(shape, "float32"));
      else if (kind === "zero") arrays.set(name, mx.zeros(shape, "float32"));
      else {
        using key = mx.randomKey(seed * 1000 + i);
        arrays.set(name, mx.normal(shape, "float32", key, 0, 0.25));
      }
    });
    mx.saveSafetensors(path, arrays, { format: "mlx" });
  } finally {
    for (const a of arrays.values()) a.dispose();
  }
}

/**
 * Builds a scripted model for `text` in a new temp folder: greedy chat decoding emits exactly `text`, then
 * `<|im_end|>`.
 *
 * @example
 *   const { dir, scriptIds } = writeScriptedModel("Hello there!");
 *   // `vllm-mlx serve <dir>`: any chat request answers "Hello there!" with finish_reason "stop"
 */
export function writeScriptedModel(text: string, options: ScriptedModelOptions = {}): ScriptedModel {
  const tokenizer = ModelTokenizer.fromObjects({
    tokenizerJson: JSON.parse(readFileSync(join(TOKENIZER_DIR, "tokenizer.json"), "utf8")),
    tokenizerConfig: JSON.parse(readFileSync(join(TOKENIZER_DIR, "tokenizer_config.json"), "utf8")),
  });
  const triggerIds = generationTriggers(tokenizer);
  const eosId = tokenizer.tokenToId("<|im_end|>")!;
  const forbidden = new Set([...triggerIds, ...tokenizer.eosTokenIds, eosId]);
  const scriptIds = findDistinctTokenPath(tokenizer, text, forbidden);
  if (scriptIds.length + 1 > HIDDEN) throw new ScriptError(`script of ${scriptIds.length} tokens exceeds hidden size ${HIDDEN - 1}`);
  if (tokenizer.decode(scriptIds) !== text) throw new ScriptError(`script ids decode to ${JSON.stringify(tokenizer.decode(scriptIds))}`);
  const seed = options.seed ?? 11;
  const { embed, head } = chainTables({ triggers: triggerIds, script: scriptIds, eos: eosId }, seed);
  const dir = mkdtempSync(join(tmpdir(), "vmlx-scripted-"));
  saveWeights(join(dir, "model.safetensors"), embed, head, seed);
  writeFileSync(join(dir, "config.json"), JSON.stringify(fixtureConfig(SHAPE, options.maxPositionEmbeddings ?? 4096, false), null, 2));
  for (const file of ["tokenizer.json", "tokenizer_config.json"]) copyFileSync(join(TOKENIZER_DIR, file), join(dir, file));
  return { dir, scriptIds, triggerIds, eosId };
}
