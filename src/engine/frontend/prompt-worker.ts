/**
 * The prompt thread: renders chat templates and tokenizes large inputs off the HTTP thread, and prepares every
 * prompt with images or videos (fetch, decode, hash, preprocess: see media-prompt.ts). Spawned by
 * {@link PromptPreparer}; it builds its own tokenizer and vision processor from what it is sent.
 */
import { useSharpAddon } from "../../media/sharp.ts";
import { loadVisionProcessor } from "../../models/vision/load-processor.ts";
import type { VisionProcessor } from "../../models/vision/processor.ts";
import { ModelTokenizer } from "../../tokenizer/index.ts";
import { hasMediaParts, mediaTransferList } from "./media-inputs.ts";
import { prepareMediaPrompt } from "./media-prompt.ts";
import { preparePrompt } from "./prompt.ts";
import { type PromptVision, type PromptWorkerReply, type PromptWorkerRequest, serializePromptError } from "./prompt-protocol.ts";

declare const self: Worker;

let tokenizer: ModelTokenizer | null = null;
let vision: { processor: VisionProcessor; options: PromptVision } | null = null;
/** The media work of each prompt in flight, aborted by a `cancel` message. */
const inFlight = new Map<number, AbortController>();

async function prepare(message: Extract<PromptWorkerRequest, { type: "prepare" }>): Promise<void> {
  let reply: PromptWorkerReply;
  let transfer: ArrayBuffer[] = [];
  try {
    if (!tokenizer) throw new Error("the prompt thread has no tokenizer");
    const { request, limits } = message;
    if (vision && request.kind === "chat" && hasMediaParts(request.messages)) {
      const cancel = new AbortController();
      inFlight.set(message.id, cancel);
      const prepared = await prepareMediaPrompt(tokenizer, vision.processor, request, limits, vision.options.serving, cancel.signal);
      transfer = mediaTransferList(prepared.media ?? []);
      reply = { id: message.id, prepared };
    } else {
      reply = { id: message.id, prepared: preparePrompt(tokenizer, request, limits) };
    }
  } catch (e) {
    reply = { id: message.id, error: serializePromptError(e) };
  } finally {
    inFlight.delete(message.id);
  }
  self.postMessage(reply, transfer);
}

self.onmessage = (event: MessageEvent<PromptWorkerRequest>) => {
  const message = event.data;
  if (message.type === "init") {
    tokenizer = ModelTokenizer.fromObjects(message.files);
    if (message.vision?.sharpAddon) useSharpAddon(message.vision.sharpAddon);
    const processor = message.vision ? loadVisionProcessor(message.vision.modelDir) : null;
    vision = processor && message.vision ? { processor, options: message.vision } : null;
    return;
  }
  if (message.type === "cancel") {
    inFlight.get(message.id)?.abort();
    return;
  }
  void prepare(message);
};
