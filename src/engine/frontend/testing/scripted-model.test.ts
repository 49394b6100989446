import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadModelDir } from "../../../models/load.ts";
import { loadTokenizer } from "../../../tokenizer/index.ts";
import { generate } from "../../runner/generate.ts";
import { GREEDY, samplingParams } from "../../sampling/params.ts";
import {
  findDistinctTokenPath,
  generationTriggers,
  ScriptError,
  THINKING_SCRIPT,
  TOOL_CALL_SCRIPT,
  writeScriptedModel,
} from "./scripted-model.ts";

const tool = writeScriptedModel(TOOL_CALL_SCRIPT);
const thinking = writeScriptedModel(THINKING_SCRIPT);
const tokenizer = await loadTokenizer(tool.dir);
afterAll(() => {
  for (const m of [tool, thinking]) rmSync(m.dir, { recursive: true, force: true });
});

const user = [{ role: "user" as const, content: "What is the weather in Paris?" }];

async function greedy(dir: string, prompt: number[], sampling = GREEDY): Promise<{ ids: number[]; finish: string | null }> {
  const { model } = await loadModelDir(dir);
  const ids: number[] = [];
  let finish: string | null = null;
  for (const t of generate(model, prompt, { maxTokens: 64, sampling, stopTokenIds: tokenizer.eosTokenIds })) {
    ids.push(t.token);
    finish = t.finishReason;
  }
  return { ids, finish };
}

describe("scripted model", () => {
  test("the triggers are the generation prompt's last tokens: \\n (thinking on) and \\n\\n (thinking off)", () => {
    expect(generationTriggers(tokenizer).map((id) => tokenizer.decode([id]))).toEqual(["\n", "\n\n"]);
    expect(tool.triggerIds).toEqual(generationTriggers(tokenizer));
  });

  test("script ids are distinct, avoid triggers and EOS, and decode to the text", () => {
    for (const [m, text] of [[tool, TOOL_CALL_SCRIPT], [thinking, THINKING_SCRIPT]] as const) {
      expect(new Set(m.scriptIds).size).toBe(m.scriptIds.length);
      for (const id of [...m.triggerIds, m.eosId]) expect(m.scriptIds).not.toContain(id);
      expect(tokenizer.decode(m.scriptIds)).toBe(text);
    }
  });

  test("a text that repeats a piece gets different ids for each occurrence", () => {
    const ids = findDistinctTokenPath(tokenizer, "ab ab ab", new Set());
    expect(new Set(ids).size).toBe(ids.length);
    expect(tokenizer.decode(ids)).toBe("ab ab ab");
  });

  test("the usual tool-call spacing has no distinct-token path (why TOOL_CALL_SCRIPT is compact at the end)", () => {
    const spaced = '{"name": "get_weather", "arguments": {"city": "Paris"}}';
    expect(() => findDistinctTokenPath(tokenizer, spaced, new Set())).toThrow(ScriptError);
  });

  test("the real engine's greedy decode emits the script then <|im_end|>, thinking on and off", async () => {
    for (const [m, text] of [[tool, TOOL_CALL_SCRIPT], [thinking, THINKING_SCRIPT]] as const) {
      for (const enableThinking of [true, false]) {
        const prompt = tokenizer.encodeChat(user, { addGenerationPrompt: true, chatTemplateKwargs: { enable_thinking: enableThinking } });
        const { ids, finish } = await greedy(m.dir, prompt);
        expect(ids).toEqual([...m.scriptIds, m.eosId]);
        expect(finish).toBe("stop");
        expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe(text);
      }
    }
  });

  test("temperature 1 still follows the script (margin of about gain * sqrt(hidden) logits)", async () => {
    const prompt = tokenizer.encodeChat(user, { addGenerationPrompt: true });
    const { ids } = await greedy(thinking.dir, prompt, samplingParams({ temperature: 1, seed: 5 }));
    expect(ids).toEqual([...thinking.scriptIds, thinking.eosId]);
  });

  test("the model folder is a Qwen3 with an untied lm_head", () => {
    const config = JSON.parse(readFileSync(join(tool.dir, "config.json"), "utf8")) as Record<string, unknown>;
    expect(config).toMatchObject({ model_type: "qwen3", tie_word_embeddings: false, vocab_size: 151_669 });
  });
});
