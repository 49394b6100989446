import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../config.ts";
import { loadModelDir } from "../load.ts";
import { vlmArch } from "./families.ts";
import { Gemma3VisionModel } from "./gemma3-vision.ts";
import { tinyConfig, writeTinyVlm } from "./gemma-llava-testing.ts";
import { LlavaModel } from "./llava.ts";
import { LlavaNextModel } from "./llava-next.ts";

const root = mkdtempSync(join(tmpdir(), "vlm-families-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("vlmArch: one detection place for every VLM family", () => {
  test("recognises each family from its config alone", () => {
    expect(vlmArch({ model_type: "qwen2_vl", vision_config: {} })).toBe("qwen2_vl");
    expect(vlmArch({ model_type: "qwen2_5_vl", vision_config: {} })).toBe("qwen2_5_vl");
    expect(vlmArch({ model_type: "qwen3_vl", vision_config: {} })).toBe("qwen3_vl");
    expect(vlmArch(tinyConfig("gemma3"))).toBe("gemma3");
    expect(vlmArch(tinyConfig("llava"))).toBe("llava");
    expect(vlmArch(tinyConfig("llava_next"))).toBe("llava_next");
  });

  test("text models are not VLMs, Gemma 3 without a vision tower included", () => {
    expect(vlmArch({ model_type: "gemma3", text_config: {} })).toBeNull();
    expect(vlmArch({ model_type: "gemma3_text" })).toBeNull();
    expect(vlmArch({ model_type: "qwen2_5_vl" })).toBeNull();
    expect(vlmArch({ model_type: "llama" })).toBeNull();
  });
});

describe("loadModelDir on Gemma 3, LLaVA and LLaVA-NeXT folders", () => {
  for (const [arch, cls] of [["gemma3", Gemma3VisionModel], ["llava", LlavaModel], ["llava_next", LlavaNextModel]] as const) {
    for (const bits of [undefined, 4] as const) {
      test(`${arch} ${bits ? "4-bit" : "fp32"}: loaded as a VLM whose text decoder is the model`, async () => {
        const dir = join(root, `${arch}-${bits ?? 32}`);
        writeTinyVlm(dir, arch, 3, bits);
        const loaded = await loadModelDir(dir);
        expect(loaded.vlm).toBeInstanceOf(cls);
        expect(loaded.model).toBe(loaded.vlm!.text);
        expect(loaded.factory.toolCallFormat).toBe("none");
        expect(loaded.model.spec.config.vocabSize).toBe(512);
      });
    }
  }

  test("a LLaVA-NeXT config without its 'default' feature strategy is refused with a message that names it", async () => {
    const dir = join(root, "llava-next-full");
    writeTinyVlm(dir, "llava_next", 1);
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...tinyConfig("llava_next"), vision_feature_select_strategy: "full" }));
    const error = await loadModelDir(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("LLaVA-NeXT");
  });
});
