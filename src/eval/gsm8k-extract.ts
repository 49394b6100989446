/**
 * GSM8K answer extraction and scoring, as lm-evaluation-harness's `gsm8k` task (version 3.0) does it:
 * two filters over each response ("strict-match" and "flexible-extract"), then `exact_match` after the same
 * normalisation of the prediction and of the dataset's answer.
 */

/** What a filter returns when its pattern finds nothing (the harness's fallback string). */
export const INVALID_ANSWER = "[invalid]";

/** The two filters whose accuracies are reported. */
export type FilterName = "strict-match" | "flexible-extract";
export const FILTERS: readonly FilterName[] = ["strict-match", "flexible-extract"];

/** "#### <number>", the format the few-shot answers teach; the first occurrence counts. */
const STRICT = /#### (-?[0-9.,]+)/g;
/** Any number-looking run (two or more of `$0-9.,`, or digits); the last occurrence counts. */
const FLEXIBLE = /(-?[$0-9.,]{2,})|(-?[0-9]+)/g;

/**
 * The strict-match answer: the number after the first `#### `, or {@link INVALID_ANSWER}.
 *
 * @example
 *   strictMatch("16 - 3 - 4 = 9 eggs, 9 * 2 = 18\n#### 18"); // "18"
 *   strictMatch("The answer is 18.");                       // "[invalid]"
 */
export function strictMatch(response: string): string {
  const first = response.matchAll(STRICT).next();
  return first.done ? INVALID_ANSWER : (first.value[1] ?? "").trim();
}

/**
 * The flexible-extract answer: the last number-looking run in the response, or {@link INVALID_ANSWER}.
 *
 * @example
 *   flexibleExtract("She makes $18."); // "$18."
 *   flexibleExtract("no digits");      // "[invalid]"
 */
export function flexibleExtract(response: string): string {
  const last = [...response.matchAll(FLEXIBLE)].at(-1);
  if (last === undefined) return INVALID_ANSWER;
  return (last[1] ?? last[2] ?? "").trim();
}

/** Runs one filter by name. */
export function extractAnswer(filter: FilterName, response: string): string {
  return filter === "strict-match" ? strictMatch(response) : flexibleExtract(response);
}

/**
 * The task's `exact_match` normalisation, applied alike to predictions and to dataset answers: drop every `,`
 * and `$`, everything up to and including the last `#### `, one trailing `.`, then lower-case.
 *
 * @example
 *   normalizeAnswer("$1,000.");                          // "1000"
 *   normalizeAnswer("Natalia sold 48/2 = 24 clips.\n#### 72"); // "72"
 */
export function normalizeAnswer(text: string): string {
  return text.replace(/,/g, "").replace(/\$/g, "").replace(/[\s\S]*#### /, "").replace(/\.$/, "").toLowerCase();
}

/**
 * The reference of a dataset answer (`"…reasoning…\n#### 72"`), normalised for comparison. Surrounding
 * whitespace is trimmed first, so a JSONL answer with a trailing newline still compares.
 *
 * @example
 *   referenceAnswer("3 + 4 = 7\n#### 7\n"); // "7"
 */
export function referenceAnswer(answer: string): string {
  return normalizeAnswer(answer.trim());
}

/** One filter's verdict on one response. */
export interface Verdict {
  /** The filter's raw output (before normalisation), or {@link INVALID_ANSWER}. */
  extracted: string;
  correct: boolean;
}

/**
 * Scores a response under both filters against a dataset answer.
 *
 * @example
 *   const v = scoreResponse("... so 9 * 2 = 18 dollars.", "…\n#### 18");
 *   v["strict-match"].correct;     // false (no "####")
 *   v["flexible-extract"].correct; // true
 */
export function scoreResponse(response: string, answer: string): Record<FilterName, Verdict> {
  const reference = referenceAnswer(answer);
  const verdict = (filter: FilterName): Verdict => {
    const extracted = extractAnswer(filter, response);
    return { extracted, correct: extracted !== INVALID_ANSWER && normalizeAnswer(extracted) === reference };
  };
  return { "strict-match": verdict("strict-match"), "flexible-extract": verdict("flexible-extract") };
}
