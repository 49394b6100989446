/** `POST /v1/completions` (legacy text completions). */
import type { Hono } from "hono";
import type { EngineEvent } from "../../engine/protocol.ts";
import type { Generation } from "../generation.ts";
import { CompletionChoices } from "../render/completion-choices.ts";
import { checkModelLimits, parseBody, readJson } from "../schemas/common.ts";
import { CompletionRequest, toCompletionGenerateRequest } from "../schemas/completion.ts";
import { type AppEnv, checkGenerates, checkModel, nowSeconds, type RouteDeps, responseId, startGeneration, usageOf } from "./context.ts";
import { streamGeneration } from "./sse.ts";

function dispatch(choices: CompletionChoices, event: EngineEvent) {
  if (event.type === "delta") return choices.delta(event);
  if (event.type === "finish") return choices.finish(event);
  return null;
}

async function collect(generation: Generation, first: EngineEvent | null, choices: CompletionChoices): Promise<void> {
  for (let event = first; event !== null; event = (await generation.next()) as EngineEvent | null) {
    dispatch(choices, event);
  }
  for (const index of choices.unfinished()) {
    choices.finish({ type: "finish", index, finishReason: "abort", completionTokens: 0 });
  }
}

/**
 * Registers the completions route.
 *
 * @example
 *   registerCompletionsRoute(app, deps);
 */
export function registerCompletionsRoute(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.post("/v1/completions", async (c) => {
    const body = parseBody(CompletionRequest, await readJson(c.req.raw));
    checkModel(deps, body.model);
    checkGenerates(deps);
    const request = toCompletionGenerateRequest(body, c.get("requestId"));
    checkModelLimits(request.sampling, deps.engine.modelInfo());
    const { generation, first } = await startGeneration(c, deps, request);
    const echo = body.echo && request.kind === "completion" && typeof request.prompt === "string" ? request.prompt : "";
    const { n, logprobs } = request.sampling;
    const envelope = { id: responseId("cmpl"), created: nowSeconds(), model: body.model ?? deps.servedModelName };
    if (!body.stream) {
      const choices = new CompletionChoices(n, 1, logprobs, echo);
      try {
        await collect(generation, first, choices);
      } finally {
        generation.close();
      }
      return c.json({ ...envelope, object: "text_completion", choices: choices.results(), usage: usageOf(generation) });
    }
    const choices = new CompletionChoices(n, deps.streamInterval, logprobs, echo);
    const includeUsage = body.stream_options?.include_usage === true;
    const chunk = (choiceList: unknown[]) => ({
      ...envelope,
      object: "text_completion",
      choices: choiceList,
      ...(includeUsage ? { usage: null } : {}),
    });
    return streamGeneration(c, deps, generation, first, {
      begin: async () => {},
      event: async (event, write) => {
        const out = dispatch(choices, event);
        if (out && (out.text !== "" || out.finish_reason !== null || out.logprobs !== null)) await write(chunk([out]));
      },
      end: async (write) => {
        for (const index of choices.unfinished()) {
          await write(chunk([choices.finish({ type: "finish", index, finishReason: "abort", completionTokens: 0 })]));
        }
        if (includeUsage) await write({ ...chunk([]), usage: usageOf(generation) });
      },
    });
  });
}
