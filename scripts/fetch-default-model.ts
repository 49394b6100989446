/** Fetches the default model into the cache (setup.sh runs it so tests and CI have it). */
import { defaultModelPath } from "../src/models/default-model.ts";

const started = performance.now();
let shown = -1;
const path = await defaultModelPath({
  onProgress(received, total) {
    const pct = total > 0 ? Math.floor((received / total) * 10) * 10 : -1;
    if (pct !== shown && pct >= 0) {
      shown = pct;
      process.stderr.write(`fetch-default-model: ${pct}%\n`);
    }
  },
});
console.log(`fetch-default-model: ${path} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
