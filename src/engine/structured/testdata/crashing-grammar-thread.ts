/** Test support: the grammar thread, except that a `choice` spec of ["crash"] throws out of its message handler. */
import { GrammarService } from "../grammar-service.ts";
import type { ToGrammarThread } from "../grammar-protocol.ts";

declare const self: Worker;

const service = new GrammarService((message) => self.postMessage(message));
self.onmessage = (event: MessageEvent<ToGrammarThread>) => {
  const m = event.data;
  if (m.type === "create" && m.spec.type === "choice" && m.spec.choices[0] === "crash") throw new Error("boom");
  service.handle(m);
};
