/**
 * GSM8K prompts in lm-evaluation-harness's format: each exemplar is `Question: …\nAnswer: <full worked
 * answer ending in #### N>`, exemplars are joined by a blank line, and the prompt ends with the test
 * question and `Answer:` for the model to continue.
 */
import type { Problem } from "./gsm8k-data.ts";

/** Where generation stops: the next question the model starts to invent, or an end-of-turn marker. */
export const GSM8K_STOP = ["Question:", "</s>", "<|im_end|>"];

/** The harness's `doc_to_text`. */
function questionText(question: string): string {
  return `Question: ${question}\nAnswer:`;
}

/**
 * The prompt for `question` after the exemplars `shots` (0 shots: the question alone).
 *
 * @example
 *   fewShotPrompt([{ id: 0, question: "1+1?", answer: "1+1=2\n#### 2" }], "2+2?");
 *   // "Question: 1+1?\nAnswer: 1+1=2\n#### 2\n\nQuestion: 2+2?\nAnswer:"
 */
export function fewShotPrompt(shots: readonly Problem[], question: string): string {
  const exemplars = shots.map((shot) => `${questionText(shot.question)} ${shot.answer}`);
  return [...exemplars, questionText(question)].join("\n\n");
}
