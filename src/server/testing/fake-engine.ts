/** A scripted {@link Engine} for server tests: fixed token texts per choice, optional delays and failures. */
import {
  InvalidRequestError,
  type Engine,
  type EngineEvent,
  type EngineStats,
  type FinishReason,
  type GenerateRequest,
  type ModelInfo,
  type TokenizeInput,
  type TokenLogprob,
} from "../../engine/protocol.ts";

/** What the fake produces for one request. */
export interface FakeScript {
  promptTokens?: number;
  /** Token texts per choice index; choice i uses `outputs[i % outputs.length]`. */
  outputs?: string[][];
  finishReason?: FinishReason;
  /** Reported as the stop string that ended every choice (with `finishReason` "stop"). */
  stopString?: string;
  /** Delay before the first delta (after `start`), in ms. */
  firstTokenDelayMs?: number;
  /** Delay between deltas, in ms. */
  tokenDelayMs?: number;
  /** Thrown before `start` (maps to an HTTP status). */
  throwBeforeStart?: Error;
  /** Thrown after this many deltas (mid-stream). */
  throwAfterTokens?: { count: number; error: Error };
  promptOpensReasoning?: boolean;
  /** Prompt tokens reported as served from the prefix cache (usage's `cachedTokens`). */
  cachedTokens?: number;
}

const DEFAULT_INFO: ModelInfo = {
  id: "fake-org/fake-model",
  contextLength: 4096,
  vocabSize: 32000,
  toolCallFormat: "hermes",
  loadState: "ready",
};

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function fakeLogprobs(token: string, position: number, top: number): TokenLogprob {
  const bytes = [...new TextEncoder().encode(token)];
  const logprob = -0.25 * (position + 1);
  const alternatives = Array.from({ length: top }, (_, k) => ({
    token: k === 0 ? token : `alt${k}`,
    logprob: k === 0 ? logprob : logprob - k,
    bytes: k === 0 ? bytes : [...new TextEncoder().encode(`alt${k}`)],
  }));
  return { token, logprob, bytes, topLogprobs: alternatives };
}

/**
 * A fake engine. `script` decides each request's output; every request and abort is recorded.
 *
 * @example
 *   const engine = new FakeEngine(() => ({ outputs: [["Hel", "lo"]] }));
 *   const app = createApp({ engine });
 */
export class FakeEngine implements Engine {
  readonly requests: GenerateRequest[] = [];
  /** Every {@link tokenize} input, in order. */
  readonly tokenizeInputs: TokenizeInput[] = [];
  /** Request ids whose signal aborted while they were generating. */
  readonly aborted: string[] = [];
  info: ModelInfo;
  running = 0;
  #abortWaiters: (() => void)[] = [];

  constructor(
    public script: (request: GenerateRequest) => FakeScript = () => ({}),
    info: Partial<ModelInfo> = {},
  ) {
    this.info = { ...DEFAULT_INFO, ...info };
  }

  modelInfo(): ModelInfo {
    return this.info;
  }

  stats(): EngineStats {
    return { running: this.running, waiting: 0, capacity: 8 };
  }

  /**
   * One token per code point. Chat renders `role: text` lines (tools as a `tools: <json>` line first, then
   * `assistant:` as the generation prompt); special tokens add a leading token 1.
   */
  async tokenize(input: TokenizeInput): Promise<number[]> {
    this.tokenizeInputs.push(input);
    let text = input.kind === "text" ? input.prompt : "";
    if (input.kind === "chat") {
      if (input.tools) text += `tools: ${JSON.stringify(input.tools)}\n`;
      for (const m of input.messages) {
        const parts = typeof m.content === "string" ? [m.content] : (m.content ?? []).map((p) => (p.type === "text" ? p.text : `[${p.type}]`));
        const calls = (m.tool_calls ?? []).map((c) => ` call ${c.function.name}(${JSON.stringify(c.function.arguments)})`);
        text += `${m.role}: ${parts.join("")}${calls.join("")}\n`;
      }
      if (input.addGenerationPrompt) text += "assistant:";
    }
    const ids = [...text].map((ch) => ch.codePointAt(0)!);
    return input.addSpecialTokens ? [1, ...ids] : ids;
  }

  async detokenize(tokenIds: readonly number[]): Promise<string> {
    const bad = tokenIds.find((id) => id >= (this.info.vocabSize ?? Infinity));
    if (bad !== undefined) throw new InvalidRequestError(`token id ${bad} is outside the vocabulary`, "tokens");
    return String.fromCodePoint(...tokenIds.filter((id) => id !== 1));
  }

  /** Resolves at the next abort the engine observes. */
  nextAbort(): Promise<void> {
    return new Promise((resolve) => this.#abortWaiters.push(resolve));
  }

  submit(request: GenerateRequest, signal: AbortSignal): AsyncIterable<EngineEvent> {
    this.requests.push(request);
    const script = this.script(request);
    if (script.throwBeforeStart) throw script.throwBeforeStart;
    return this.#run(request, script, signal);
  }

  async *#run(request: GenerateRequest, script: FakeScript, signal: AbortSignal): AsyncGenerator<EngineEvent> {
    this.running++;
    const onAbort = () => {
      this.aborted.push(request.requestId);
      for (const wake of this.#abortWaiters.splice(0)) wake();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      yield* this.#events(request, script, signal);
    } finally {
      this.running--;
      signal.removeEventListener("abort", onAbort);
    }
  }

  async *#events(request: GenerateRequest, script: FakeScript, signal: AbortSignal): AsyncGenerator<EngineEvent> {
    const promptTokens = script.promptTokens ?? 5;
    yield {
      type: "start",
      promptTokens,
      ...(script.promptOpensReasoning === undefined ? {} : { promptOpensReasoning: script.promptOpensReasoning }),
    };
    const outputs = script.outputs ?? [["Hello", " world"]];
    const n = request.sampling.n;
    const texts = Array.from({ length: n }, (_, i) => outputs[i % outputs.length] ?? []);
    const steps = Math.max(...texts.map((t) => t.length));
    let emitted = 0;
    await sleep(script.firstTokenDelayMs ?? 0, signal);
    for (let step = 0; step < steps; step++) {
      for (let index = 0; index < n; index++) {
        const token = texts[index]?.[step];
        if (token === undefined) continue;
        if (signal.aborted) return;
        if (script.throwAfterTokens && emitted === script.throwAfterTokens.count) throw script.throwAfterTokens.error;
        const { logprobs, topLogprobs } = request.sampling;
        yield {
          type: "delta",
          index,
          text: token,
          tokenIds: [1000 + step],
          ...(logprobs ? { logprobs: [fakeLogprobs(token, step, topLogprobs)] } : {}),
        };
        emitted++;
      }
      if (step + 1 < steps) await sleep(script.tokenDelayMs ?? 0, signal);
    }
    if (signal.aborted) return;
    const finishReason = script.finishReason ?? "stop";
    for (let index = 0; index < n; index++) {
      const stop = script.stopString === undefined ? {} : { stopString: script.stopString };
      yield { type: "finish", index, finishReason, completionTokens: texts[index]?.length ?? 0, ...stop };
    }
    const completionTokens = texts.reduce((sum, t) => sum + t.length, 0);
    yield { type: "usage", promptTokens, completionTokens, ...(script.cachedTokens === undefined ? {} : { cachedTokens: script.cachedTokens }) };
  }
}
