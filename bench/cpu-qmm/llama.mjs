// The llama.cpp side of bench/cpu-qmm: one round of prefill + greedy decode of the default model's GGUF through
// node-llama-cpp's prebuilt CPU binary with 2 threads. Prints one JSON line.
//   node bench/cpu-qmm/llama.mjs <model.gguf> <prompt-ids.json> <decode-tokens> <threads>
import { readFileSync } from "node:fs";
import { getLlama } from "node-llama-cpp";

const [modelPath, promptPath, decodeArg, threadsArg] = process.argv.slice(2);
const prompt = JSON.parse(readFileSync(promptPath, "utf8"));
const decodeTokens = Number(decodeArg);
const threads = Number(threadsArg);

const llama = await getLlama({ gpu: false, build: "never", maxThreads: threads });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize: 1024, batchSize: 512, threads });
const sequence = context.getSequence();

const t0 = performance.now();
let tFirst = 0;
let n = 0;
// The first token comes after the prompt's prefill; the next `decodeTokens` are decode steps.
for await (const _token of sequence.evaluate(prompt, { temperature: 0 })) {
  n++;
  if (n === 1) tFirst = performance.now();
  if (n === decodeTokens + 1) break;
}
const tEnd = performance.now();
console.log(JSON.stringify({
  subject: "llama.cpp",
  version: llama.llamaCppRelease?.release ?? "unknown",
  prefillTokPerS: prompt.length / ((tFirst - t0) / 1000),
  decodeTokPerS: decodeTokens / ((tEnd - tFirst) / 1000),
}));
await context.dispose();
await model.dispose();
await llama.dispose();
