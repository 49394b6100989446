/**
 * GSM8K problems: from a local JSONL file (`{"question": …, "answer": "…\n#### N"}` per line, the dataset's
 * own format) or from the Hugging Face Hub (`openai/gsm8k`, config `main`, parquet files) through src/hub,
 * so the cache, resumed downloads, HF_ENDPOINT, HF_TOKEN and HF_HUB_OFFLINE apply.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parquetReadObjects } from "hyparquet";
import { type DownloadOptions, downloadModel } from "../hub/index.ts";

/** One problem; `id` is its 0-based row in its split (or line in its file, blank lines not counted). */
export interface Problem {
  id: number;
  question: string;
  /** The worked answer, ending in `#### <number>`. */
  answer: string;
}

export const GSM8K_REPO = "openai/gsm8k";
export const GSM8K_TEST_FILE = "main/test-00000-of-00001.parquet";
export const GSM8K_TRAIN_FILE = "main/train-00000-of-00001.parquet";

/** The data set cannot be read or is not in GSM8K's format. */
export class Gsm8kDataError extends Error {
  override readonly name = "Gsm8kDataError";
}

function toProblem(row: unknown, id: number, where: string): Problem {
  const r = row as { question?: unknown; answer?: unknown } | null;
  if (typeof r?.question !== "string" || typeof r.answer !== "string") {
    throw new Gsm8kDataError(`${where}: expected string fields 'question' and 'answer'`);
  }
  if (!r.answer.includes("#### ")) throw new Gsm8kDataError(`${where}: the answer does not end with '#### <number>'`);
  return { id, question: r.question, answer: r.answer };
}

/**
 * Parses GSM8K JSONL text; blank lines are skipped, anything else that is not a problem throws.
 *
 * @example
 *   parseGsm8kJsonl('{"question":"1+1?","answer":"1+1=2\\n#### 2"}\n', "t.jsonl"); // [{ id: 0, … }]
 */
export function parseGsm8kJsonl(text: string, source: string): Problem[] {
  const problems: Problem[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    const where = `${source}:${index + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new Gsm8kDataError(`${where}: not JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    problems.push(toProblem(row, problems.length, where));
  });
  return problems;
}

/** Reads a GSM8K JSONL file. */
export async function readGsm8kJsonl(path: string): Promise<Problem[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new Gsm8kDataError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseGsm8kJsonl(text, path);
}

/** Reads the `question` and `answer` columns of a GSM8K parquet file. */
export async function readGsm8kParquet(path: string): Promise<Problem[]> {
  const bytes = await readFile(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file, columns: ["question", "answer"] });
  } catch (error) {
    throw new Gsm8kDataError(`cannot read parquet ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return rows.map((row, i) => toProblem(row, i, `${path} row ${i}`));
}

/** The test split, and the train split when exemplars are wanted. */
export interface Gsm8kSplits {
  test: Problem[];
  train?: Problem[];
  /** Where the problems came from, for the report. */
  source: string;
}

/**
 * Downloads (or finds in the Hugging Face cache) the test split of `openai/gsm8k` `main`, and the train split
 * when `withTrain` (exemplars for few-shot prompts come from it).
 *
 * @example
 *   const { test, train } = await loadGsm8kFromHub({ withTrain: true });
 */
export async function loadGsm8kFromHub(opts: DownloadOptions & { withTrain: boolean }): Promise<Gsm8kSplits> {
  const { withTrain, ...hub } = opts;
  const files = withTrain ? [GSM8K_TEST_FILE, GSM8K_TRAIN_FILE] : [GSM8K_TEST_FILE];
  const snap = await downloadModel(GSM8K_REPO, { ...hub, repoType: "dataset", allowPatterns: files });
  const missing = files.filter((f) => !snap.files.includes(f));
  if (missing.length > 0) throw new Gsm8kDataError(`${GSM8K_REPO} has no ${missing.join(", ")} at ${snap.commit}`);
  const test = await readGsm8kParquet(join(snap.dir, GSM8K_TEST_FILE));
  const train = withTrain ? await readGsm8kParquet(join(snap.dir, GSM8K_TRAIN_FILE)) : undefined;
  return { test, ...(train ? { train } : {}), source: `${GSM8K_REPO}@${snap.commit.slice(0, 12)} main/test` };
}

/** The exemplars and the problems to ask. */
export interface Gsm8kSelection {
  shots: Problem[];
  problems: Problem[];
}

/**
 * Picks `numShots` exemplars and at most `limit` problems. With a train split the exemplars are its first
 * rows and the problems the first of the test split; a single file gives both, the exemplars first, and they
 * are not asked again.
 *
 * @example
 *   selectProblems({ test: file, source: "f" }, 5, 10); // shots = file[0..5), problems = file[5..15)
 */
export function selectProblems(splits: Gsm8kSplits, numShots: number, limit?: number): Gsm8kSelection {
  const pool = splits.train ?? splits.test;
  if (pool.length < numShots) {
    throw new Gsm8kDataError(`${numShots} exemplars asked for, but ${splits.train ? "the train split" : "the file"} ` +
      `has only ${pool.length} problems`);
  }
  const shots = pool.slice(0, numShots);
  const rest = splits.train ? splits.test : splits.test.slice(numShots);
  const problems = limit === undefined ? rest : rest.slice(0, limit);
  if (problems.length === 0) throw new Gsm8kDataError(`no problems left to ask in ${splits.source}`);
  return { shots, problems };
}
