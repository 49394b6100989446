/** `GET /v1/models`, `GET /v1/models/{id}`, `GET /health`, `GET /version`. */
import type { Hono } from "hono";
import pkg from "../../../package.json" with { type: "json" };
import { ApiError } from "../errors.ts";
import { type AppEnv, modelAliases, type RouteDeps } from "./context.ts";

const STARTED = Math.floor(Date.now() / 1000);

function modelCard(deps: RouteDeps, id: string) {
  const info = deps.engine.modelInfo();
  // What the model takes and gives beyond text: a vision model takes images (and video, Qwen-VL). A pooling
  // model serves embeddings or rerank and no chat.
  const task = deps.pooling?.task;
  const capabilities = {
    chat: deps.pooling === undefined,
    vision: info.vision !== undefined,
    video: info.vision?.video === true,
    embeddings: task === "embed",
    rerank: task === "score",
    tools: info.toolCallFormat !== "none",
    reasoning: info.reasoning !== undefined,
  };
  return { id, object: "model", created: STARTED, owned_by: "vllm-mlx", root: info.id, max_model_len: info.contextLength, capabilities };
}

/**
 * Registers the model list, model lookup, health and version routes.
 *
 * @example
 *   registerInfoRoutes(app, deps);
 */
export function registerInfoRoutes(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.get("/v1/models", (c) => c.json({ object: "list", data: [modelCard(deps, deps.servedModelName)] }));

  app.get("/v1/models/:id{.+}", (c) => {
    const id = c.req.param("id");
    if (!modelAliases(deps).has(id)) {
      throw new ApiError(404, `The model '${id}' does not exist`, { param: "model", code: "model_not_found" });
    }
    return c.json(modelCard(deps, id));
  });

  app.get("/health", (c) => {
    const info = deps.engine.modelInfo();
    const healthy = info.loadState === "ready" && !deps.inflight.draining;
    const status = deps.inflight.draining ? "draining" : info.loadState === "ready" ? "ok" : info.loadState;
    return c.json({ status, model: info.id, load_state: info.loadState, stats: deps.engine.stats() }, healthy ? 200 : 503);
  });

  app.get("/version", (c) => c.json({ version: pkg.version }));
}
