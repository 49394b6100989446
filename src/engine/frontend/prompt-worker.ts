/**
 * The prompt thread: renders chat templates and tokenizes large inputs off the HTTP thread. Spawned by
 * {@link PromptPreparer}; it builds its own tokenizer from the files it is sent.
 */
import { ModelTokenizer } from "../../tokenizer/index.ts";
import { preparePrompt } from "./prompt.ts";
import { type PromptWorkerReply, type PromptWorkerRequest, serializePromptError } from "./prompt-protocol.ts";

declare const self: Worker;

let tokenizer: ModelTokenizer | null = null;

self.onmessage = (event: MessageEvent<PromptWorkerRequest>) => {
  const message = event.data;
  if (message.type === "init") {
    tokenizer = ModelTokenizer.fromObjects(message.files);
    return;
  }
  let reply: PromptWorkerReply;
  try {
    if (!tokenizer) throw new Error("the prompt thread has no tokenizer");
    reply = { id: message.id, prepared: preparePrompt(tokenizer, message.request, message.limits) };
  } catch (e) {
    reply = { id: message.id, error: serializePromptError(e) };
  }
  self.postMessage(reply);
};
