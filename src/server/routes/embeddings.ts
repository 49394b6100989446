/**
 * `POST /v1/embeddings`, `POST /v1/rerank` (also `/rerank`, `/v2/rerank`) and `POST /v1/score`, through the
 * pooling engine. A chat model answers them with a 400, as an embedding model answers chat.
 */
import type { Context, Hono } from "hono";
import type { EmbedInput, PoolingService } from "../../engine/pooling/protocol.ts";
import { ApiError } from "../errors.ts";
import { parseBody, readJson } from "../schemas/common.ts";
import { type EmbeddingBody, EmbeddingRequest, RerankRequest, ScoreRequest } from "../schemas/embeddings.ts";
import { type AppEnv, checkModel, responseId, type RouteDeps } from "./context.ts";

function service(deps: RouteDeps, task: "embed" | "score"): PoolingService {
  const state = deps.engine.modelInfo().loadState;
  if (state !== "ready") throw new ApiError(503, `model is not ready (${state})`, { code: "model_not_ready" });
  if (deps.inflight.draining) throw new ApiError(503, "server is shutting down", { code: "shutting_down" });
  const pooling = deps.pooling;
  if (!pooling || pooling.task !== task) {
    const what = task === "embed" ? "embeddings" : "rerank or score requests";
    const kind = pooling ? (pooling.task === "embed" ? "an embedding model" : "a rerank model") : "a generative model";
    throw new ApiError(400, `model '${deps.servedModelName}' is ${kind}; it does not serve ${what}`, { param: "model", code: "model_not_supported" });
  }
  return pooling;
}

function embedInputs(input: EmbeddingBody["input"]): EmbedInput[] {
  if (typeof input === "string") return [{ kind: "text", text: input }];
  if (input.length === 0) return [];
  if (typeof input[0] === "number") return [{ kind: "tokens", tokenIds: input as number[] }];
  if (typeof input[0] === "string") return (input as string[]).map((text) => ({ kind: "text", text }));
  return (input as number[][]).map((tokenIds) => ({ kind: "tokens", tokenIds }));
}

/** Matryoshka: the first `dimensions` values, renormalized to unit length. */
function shorten(vector: Float32Array, dimensions: number): Float32Array {
  const out = vector.slice(0, dimensions);
  const norm = Math.sqrt(out.reduce((s, x) => s + x * x, 0));
  if (norm > 0) for (let i = 0; i < out.length; i++) out[i] = out[i]! / norm;
  return out;
}

function checkDimensions(pooling: PoolingService, dimensions: number | undefined, model: string): void {
  if (dimensions === undefined) return;
  if (!pooling.matryoshka) {
    throw new ApiError(400, `model '${model}' does not support dimensions (its vectors have ${pooling.dimensions})`, { param: "dimensions", code: "invalid_value" });
  }
  if (dimensions > pooling.dimensions) {
    throw new ApiError(400, `dimensions ${dimensions} exceeds the model's ${pooling.dimensions}`, { param: "dimensions", code: "invalid_value" });
  }
}

/** Little-endian float32 bytes in base64, as OpenAI's SDKs decode `encoding_format: "base64"`. */
export function base64Float32(vector: Float32Array): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  vector.forEach((x, i) => view.setFloat32(i * 4, x, true));
  return Buffer.from(bytes).toString("base64");
}

async function rerank(c: Context<AppEnv>, deps: RouteDeps) {
  const body = parseBody(RerankRequest, await readJson(c.req.raw));
  checkModel(deps, body.model);
  const pooling = service(deps, "score");
  const texts = body.documents.map((d) => (typeof d === "string" ? d : d.text));
  const { scores, promptTokens } = await pooling.score(body.query, texts, c.req.raw.signal);
  const order = scores.map((score, index) => ({ index, score })).sort((a, b) => b.score - a.score || a.index - b.index);
  const kept = body.top_n === undefined || body.top_n === 0 ? order : order.slice(0, body.top_n);
  const results = kept.map(({ index, score }) => ({
    index,
    relevance_score: score,
    ...(body.return_documents ? { document: { text: texts[index]! } } : {}),
  }));
  return c.json({ id: responseId("rerank"), model: deps.servedModelName, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens }, results });
}

/**
 * Registers the embeddings, rerank and score routes.
 *
 * @example
 *   registerEmbeddingRoutes(app, deps);
 */
export function registerEmbeddingRoutes(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.post("/v1/embeddings", async (c) => {
    const body = parseBody(EmbeddingRequest, await readJson(c.req.raw));
    checkModel(deps, body.model);
    const pooling = service(deps, "embed");
    checkDimensions(pooling, body.dimensions, deps.servedModelName);
    const { vectors, promptTokens } = await pooling.embed(embedInputs(body.input), c.req.raw.signal);
    const data = vectors.map((v, index) => {
      const vector = body.dimensions === undefined ? v : shorten(v, body.dimensions);
      return { object: "embedding", index, embedding: body.encoding_format === "base64" ? base64Float32(vector) : Array.from(vector) };
    });
    return c.json({ object: "list", data, model: deps.servedModelName, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } });
  });

  for (const path of ["/v1/rerank", "/rerank", "/v2/rerank"]) app.post(path, (c) => rerank(c, deps));

  app.post("/v1/score", async (c) => {
    const body = parseBody(ScoreRequest, await readJson(c.req.raw));
    checkModel(deps, body.model);
    const pooling = service(deps, "score");
    const texts = typeof body.text_2 === "string" ? [body.text_2] : body.text_2;
    const { scores, promptTokens } = await pooling.score(body.text_1, texts, c.req.raw.signal);
    const data = scores.map((score, index) => ({ index, object: "score", score }));
    return c.json({ id: responseId("score"), object: "list", model: deps.servedModelName, data, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } });
  });
}
