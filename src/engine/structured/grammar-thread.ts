/**
 * The grammar thread's entry module (a Bun Worker that the model thread starts with the model): it owns the
 * grammar compiler, every compiled grammar and every matcher (xgrammar's WASM objects cannot move between
 * threads). It imports nothing native. `bun build --compile` needs this file as an extra entrypoint
 * (scripts/build.ts adds it).
 */
import { GrammarService } from "./grammar-service.ts";
import type { FromGrammarThread, ToGrammarThread } from "./grammar-protocol.ts";

declare const self: Worker;

const service = new GrammarService((message: FromGrammarThread) => self.postMessage(message));
self.onmessage = (event: MessageEvent<ToGrammarThread>) => service.handle(event.data);
