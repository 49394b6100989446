/**
 * A {@link FakeEngine} that prepares every request as the real engine does first (chat template, tokenizer, and
 * for a VLM the media path: fetch, decode, hash, preprocess on the prompt thread), so server tests see the real
 * request errors and prompt sizes; generation is the fake's script.
 */
import type { PreparedPrompt } from "../../engine/frontend/prompt.ts";
import { OFF_THREAD_CHARS, PromptPreparer } from "../../engine/frontend/prompt-preparer.ts";
import type { PromptVision } from "../../engine/frontend/prompt-protocol.ts";
import type { EngineEvent, GenerateRequest } from "../../engine/protocol.ts";
import { loadVisionProcessor } from "../../models/vision/load-processor.ts";
import type { ModelTokenizer } from "../../tokenizer/index.ts";
import { FakeEngine, type FakeScript } from "./fake-engine.ts";

/**
 * @example
 *   const engine = new PreparingEngine(tokenizer, { modelDir, serving });
 *   const { app } = testApp(engine);
 */
export class PreparingEngine extends FakeEngine {
  readonly preparer: PromptPreparer;
  /** Every successfully prepared prompt, by request id. */
  readonly prepared: Map<string, PreparedPrompt>;

  constructor(tokenizer: ModelTokenizer, vision?: PromptVision, script: (request: GenerateRequest) => FakeScript = () => ({ outputs: [["ok"]] })) {
    const prepared = new Map<string, PreparedPrompt>();
    super((request) => ({ ...script(request), promptTokens: prepared.get(request.requestId)?.tokenIds.length ?? 0 }));
    this.prepared = prepared;
    this.preparer = new PromptPreparer(tokenizer, OFF_THREAD_CHARS, vision);
    const processor = vision ? loadVisionProcessor(vision.modelDir) : null;
    if (processor) this.info = { ...this.info, vision: { video: processor.processVideo !== null } };
  }

  override submit(request: GenerateRequest, signal: AbortSignal): AsyncIterable<EngineEvent> {
    return this.#prepareThenRun(request, signal);
  }

  async *#prepareThenRun(request: GenerateRequest, signal: AbortSignal): AsyncGenerator<EngineEvent> {
    const prepared = await this.preparer.prepare(request, { contextLength: this.info.contextLength });
    this.prepared.set(request.requestId, prepared);
    yield* super.submit(request, signal);
  }

  close(): void {
    this.preparer.close();
  }
}
