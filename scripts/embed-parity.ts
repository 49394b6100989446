#!/usr/bin/env bun
/**
 * Serves the packaged all-MiniLM-L6-v2 in-process (pooling engine + app) and checks its `/v1/embeddings` vectors
 * against mlx-embeddings' (scripts/embed-parity/oracle.py): the same token ids, and cosine >= 0.999 for every text,
 * with all texts sent in one request (one padded batch of different lengths). Exits 1 on any miss.
 *
 * @example
 *   bun scripts/embed-parity.ts .cache/embed-oracle-venv/bin/python
 */
import { join } from "node:path";
import { createServedEngine } from "../src/engine/pooling/create.ts";
import { PoolingEngine } from "../src/engine/pooling/engine.ts";
import { createApp } from "../src/server/index.ts";

const MIN_COSINE = 0.999;
const TEXTS = [
  "Hello World, café!",
  "The quick brown fox jumps over the lazy dog.",
  "A man is eating food.",
  "Embeddings turn sentences into vectors whose cosine similarity tracks meaning; this one is a little longer than the rest.",
  "Paris",
  "naïve résumé — ünïcödé and emoji 🚀 too",
];

async function run(cmd: string[], stdin?: string): Promise<string> {
  const child = Bun.spawn(cmd, { stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin), stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} failed (${code}):\n${err}`);
  return out;
}

function cosine(a: number[], b: number[]): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! ** 2;
    bb += b[i]! ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

const python = process.argv[2] ?? ".cache/embed-oracle-venv/bin/python";
const oracle = join(import.meta.dir, "embed-parity", "oracle.py");
const model = (await run([python, oracle, "--model-of-package"])).trim();
const ref = JSON.parse(await run([python, oracle], JSON.stringify({ model, texts: TEXTS }))) as { token_ids: number[][]; embeddings: number[][] };

const engine = await createServedEngine({ model });
if (!(engine instanceof PoolingEngine)) throw new Error(`${model} was not detected as an embedding model`);
const app = createApp({ engine, pooling: engine, servedModelName: "all-MiniLM-L6-v2" });
const post = async (path: string, body: unknown) =>
  (await app.request(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json() as Promise<any>;
let failures = 0;
try {
  const out = await post("/v1/embeddings", { input: TEXTS });
  for (let i = 0; i < TEXTS.length; i++) {
    const ids = (await post("/tokenize", { prompt: TEXTS[i] })).tokens as number[];
    const same = JSON.stringify(ids) === JSON.stringify(ref.token_ids[i]);
    const cos = cosine(out.data[i].embedding, ref.embeddings[i]!);
    const ok = same && cos >= MIN_COSINE;
    if (!ok) failures++;
    console.log(`${ok ? "ok  " : "FAIL"} cosine ${cos.toFixed(7)} tokens ${ids.length}${same ? "" : ` (ids differ: ours ${ids} vs ${ref.token_ids[i]})`}  ${JSON.stringify(TEXTS[i]).slice(0, 50)}`);
  }
} finally {
  await engine.close(1000);
}
console.log(`embed-parity: ${TEXTS.length - failures}/${TEXTS.length} texts within cosine >= ${MIN_COSINE} of mlx-embeddings`);
process.exit(failures === 0 ? 0 : 1);
