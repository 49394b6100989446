import { describe, expect, test } from "bun:test";
import { baseConfig, ConfigError, MAX_LAYERS } from "./config.ts";
import { hfConfigFromGguf } from "./gguf-config.ts";
import { factoryFor } from "./registry.ts";

const TINY = {
  model_type: "llama", vocab_size: 128, hidden_size: 64, num_hidden_layers: 2, intermediate_size: 128,
  num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16,
};

describe("baseConfig rejects corrupt configs before building anything per layer", () => {
  test("a plausible config reads back", () => {
    const c = baseConfig(TINY);
    expect([c.numHiddenLayers, c.layerTypes]).toEqual([2, ["full_attention", "full_attention"]]);
  });

  test("num_hidden_layers past MAX_LAYERS is a ConfigError, not a billion layer specs", () => {
    for (const n of [1e9, 1e300]) {
      expect(() => factoryFor("llama").spec({ ...TINY, num_hidden_layers: n })).toThrow(
        `config.json: 'num_hidden_layers' ${n} is not plausible (at most ${MAX_LAYERS})`,
      );
    }
    expect(baseConfig({ ...TINY, num_hidden_layers: MAX_LAYERS }).layerTypes.length).toBe(MAX_LAYERS);
  });

  test("layer_types that is not a list of strings is a ConfigError", () => {
    for (const layerTypes of ["full", { length: 2 }, [1, 2]]) {
      expect(() => baseConfig({ ...TINY, layer_types: layerTypes })).toThrow(ConfigError);
    }
    expect(() => baseConfig({ ...TINY, layer_types: "full" })).toThrow(`config.json: 'layer_types' must be a list of strings, got "full"`);
  });

  test("model_type or GGUF architecture naming an Object.prototype member is unknown", () => {
    for (const t of ["constructor", "__proto__", "toString"]) {
      expect(() => factoryFor(t)).toThrow(`unknown model_type '${t}'`);
      expect(() => hfConfigFromGguf({ "general.architecture": t }, new Set())).toThrow(`unknown GGUF architecture '${t}'`);
    }
  });
});
