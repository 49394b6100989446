/**
 * Model configuration: the HF `config.json` keys we use, camelCased, with defaults filled and bad values
 * rejected with a typed ConfigError.
 */
import type { QuantConfig, QuantParams } from "../nn/weights.ts";
import type { RopeScaling } from "../nn/rope.ts";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Keys common to the decoder-only families. Family files add their own. */
export interface BaseConfig {
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  intermediateSize: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeTraditional: boolean;
  ropeScaling: RopeScaling | null;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  attentionBias: boolean;
  mlpBias: boolean;
  slidingWindow: number | null;
  /** Per layer: whether it uses sliding-window attention. */
  layerTypes: ("full_attention" | "sliding_attention")[];
  quantization: QuantConfig | null;
}

export type HfConfig = Record<string, unknown>;

export function num(c: HfConfig, key: string, fallback?: number): number {
  const v = c[key];
  if (v === undefined || v === null) {
    if (fallback === undefined) throw new ConfigError(`config.json: missing '${key}'`);
    return fallback;
  }
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ConfigError(`config.json: '${key}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}

export function bool(c: HfConfig, key: string, fallback: boolean): boolean {
  const v = c[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "boolean") throw new ConfigError(`config.json: '${key}' must be a boolean`);
  return v;
}

export function optNum(c: HfConfig, key: string): number | null {
  return c[key] === undefined || c[key] === null ? null : num(c, key);
}

/** More layers than any released model has (the largest have ~130): a larger count is a corrupt config. */
export const MAX_LAYERS = 1024;

function positiveInt(c: HfConfig, key: string, fallback?: number): number {
  const v = num(c, key, fallback);
  if (!Number.isInteger(v) || v <= 0) throw new ConfigError(`config.json: '${key}' must be a positive integer, got ${v}`);
  return v;
}

/** Newer HF configs nest rope settings under `rope_parameters`. */
function ropeParam(c: HfConfig, key: string): number | undefined {
  const p = c.rope_parameters as Record<string, unknown> | undefined;
  const v = p?.[key];
  return typeof v === "number" ? v : undefined;
}

function ropeScaling(c: HfConfig): RopeScaling | null {
  const params = c.rope_parameters as Record<string, unknown> | undefined;
  const nested = params && (params.rope_type ?? "default") !== "default" ? params : undefined;
  const raw = (c.rope_scaling ?? nested) as Record<string, unknown> | null | undefined;
  if (!raw) return null;
  const type = (raw.rope_type ?? raw.type ?? "default") as string;
  return { ...(raw as object), type } as RopeScaling;
}

export function quantConfig(c: HfConfig): QuantConfig | null {
  const q = (c.quantization ?? c.quantization_config) as Record<string, unknown> | undefined;
  if (!q || typeof q.bits !== "number") return null;
  const params = (o: Record<string, unknown>): QuantParams => {
    const mode = (o.mode as string | undefined) ?? "affine";
    if (mode !== "affine") throw new ConfigError(`quantization mode '${mode}' is not supported (affine only)`);
    const bits = o.bits as number;
    const groupSize = (o.group_size as number | undefined) ?? 64;
    if (![2, 3, 4, 5, 6, 8].includes(bits)) throw new ConfigError(`quantization bits ${bits} is not supported (2, 3, 4, 5, 6 or 8)`);
    if (![32, 64, 128].includes(groupSize)) {
      throw new ConfigError(`quantization group_size ${groupSize} is not supported (32, 64 or 128)`);
    }
    return { bits, groupSize, mode: "affine" };
  };
  const overrides: QuantConfig["overrides"] = {};
  for (const [k, v] of Object.entries(q)) {
    if (v === false) overrides[k] = false;
    else if (v && typeof v === "object" && "bits" in v) overrides[k] = params(v as Record<string, unknown>);
  }
  return { default: params(q), overrides };
}

/**
 * Reads the keys every decoder family shares.
 *
 * @example
 *   const base = baseConfig(JSON.parse(await Bun.file("config.json").text()));
 */
export function baseConfig(
  c: HfConfig,
  defaults: { tieWordEmbeddings?: boolean; attentionBias?: boolean; ropeTheta?: number } = {},
): BaseConfig {
  const modelType = c.model_type;
  if (typeof modelType !== "string") throw new ConfigError("config.json: missing 'model_type'");
  const hiddenSize = positiveInt(c, "hidden_size");
  const numAttentionHeads = positiveInt(c, "num_attention_heads");
  const numKeyValueHeads = positiveInt(c, "num_key_value_heads", numAttentionHeads);
  if (numAttentionHeads % numKeyValueHeads !== 0) {
    throw new ConfigError(`num_attention_heads ${numAttentionHeads} is not a multiple of num_key_value_heads ${numKeyValueHeads}`);
  }
  const numHiddenLayers = positiveInt(c, "num_hidden_layers");
  // Every layer gets its spec before any weight is read: a corrupt count must not allocate a billion of them.
  if (numHiddenLayers > MAX_LAYERS) {
    throw new ConfigError(`config.json: 'num_hidden_layers' ${numHiddenLayers} is not plausible (at most ${MAX_LAYERS})`);
  }
  const slidingWindow = optNum(c, "sliding_window");
  const rawTypes = c.layer_types ?? undefined;
  if (rawTypes !== undefined && (!Array.isArray(rawTypes) || !rawTypes.every((t) => typeof t === "string"))) {
    throw new ConfigError(`config.json: 'layer_types' must be a list of strings, got ${JSON.stringify(rawTypes).slice(0, 80)}`);
  }
  const layerTypes = ((rawTypes as string[] | undefined) ?? Array(numHiddenLayers).fill("full_attention")).map((t) =>
    t === "sliding_attention" ? "sliding_attention" : "full_attention",
  ) as BaseConfig["layerTypes"];
  if (layerTypes.length !== numHiddenLayers) throw new ConfigError("config.json: layer_types length differs from num_hidden_layers");
  return {
    modelType,
    vocabSize: positiveInt(c, "vocab_size"),
    hiddenSize,
    numHiddenLayers,
    intermediateSize: positiveInt(c, "intermediate_size"),
    numAttentionHeads,
    numKeyValueHeads,
    headDim: positiveInt(c, "head_dim", hiddenSize / numAttentionHeads),
    rmsNormEps: num(c, "rms_norm_eps", 1e-6),
    ropeTheta: num(c, "rope_theta", ropeParam(c, "rope_theta") ?? defaults.ropeTheta ?? 10000),
    ropeTraditional: bool(c, "rope_traditional", false),
    ropeScaling: ropeScaling(c),
    maxPositionEmbeddings: num(c, "max_position_embeddings", 4096),
    tieWordEmbeddings: bool(c, "tie_word_embeddings", defaults.tieWordEmbeddings ?? true),
    attentionBias: bool(c, "attention_bias", defaults.attentionBias ?? false),
    mlpBias: bool(c, "mlp_bias", false),
    slidingWindow,
    layerTypes,
    quantization: quantConfig(c),
  };
}
