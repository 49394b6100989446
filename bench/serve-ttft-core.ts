/**
 * bench/serve-ttft.ts's in-process side: EngineCore (built as the worker builds it, createCore) on the same model
 * and prompts, time from adding the requests to the step that returns each one's first token.
 */
import { createCore } from "../src/engine/create.ts";
import { GREEDY } from "../src/engine/sampling/params.ts";
import { loadModelDir } from "../src/models/load.ts";
import { loadTokenizer } from "../src/tokenizer/index.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * TTFT (ms) of each prompt of `single` served alone, and of each prompt of `burst` added together, `rounds` times.
 *
 * @example
 *   const { c1, cN } = await inProcessTtft(dir, ["a b c"], ["d e", "f g"], { rounds: 3, maxTokens: 16, kvMib: 64 });
 */
export async function inProcessTtft(dir: string, single: readonly string[], burst: readonly string[],
  { rounds, maxTokens, kvMib }: { rounds: number; maxTokens: number; kvMib: number }) {
  const { model } = await loadModelDir(dir);
  const tokenizer = await loadTokenizer(dir);
  const core = createCore(model, { kvCacheMemoryBytes: kvMib * 2 ** 20, maxModelLen: 512, maxNumSeqs: Math.max(8, burst.length),
    longPrefillTokenThreshold: 2048 });
  let next = 0;
  /** Adds the prompts at once; returns each one's TTFT, then aborts them all. */
  const run = (prompts: readonly string[]): number[] => {
    const ids = prompts.map((p) => tokenizer.encode(p));
    const start = performance.now();
    const pending = new Map<string, number>();
    ids.forEach((promptTokenIds, i) => {
      const requestId = `r${next++}`;
      pending.set(requestId, i);
      core.addRequest({ requestId, promptTokenIds, sampling: GREEDY, maxTokens, stopTokenIds: new Set() });
    });
    const ttft: number[] = new Array(prompts.length);
    const added = [...pending.keys()];
    while (pending.size > 0) {
      for (const out of core.step()) {
        const i = pending.get(out.requestId);
        if (i === undefined) continue;
        ttft[i] = performance.now() - start;
        pending.delete(out.requestId);
      }
    }
    for (const id of added) core.abortRequest(id);
    while (core.hasUnfinished()) core.step();
    return ttft;
  };
  run(burst); // warm-up
  const c1: number[] = [];
  const cN: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const p of single) c1.push(...run([p]));
    cN.push(...run(burst));
  }
  return { c1, cN, median };
}
