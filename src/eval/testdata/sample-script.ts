/** The scripted server replies that the eval tests give for testdata/gsm8k-sample.jsonl. */
import type { ScriptedReply } from "../fake-openai.ts";

/**
 * Replies for problems 2..8 of the sample (0 and 1 are the exemplars):
 * strict right on 2, 4, 6, 8 (4 of 7); flexible right on 2, 3, 4, 5, 8 (5 of 7); 7 fails with HTTP 500.
 */
export function sampleScript(question: string, attempt: number): ScriptedReply {
  if (question.startsWith("Tom reads")) {
    return attempt === 1 ? { status: 429, body: "busy", retryAfter: "0" } : { text: " 25 * 6 = 150, 150 + 40 = 190\n#### 190" };
  }
  if (question.startsWith("A garden")) return { text: " 63 * 5 = 315 tomatoes." };
  if (question.startsWith("Sara saves")) return { text: " 150 * 12 = 1800 and 1800 - 475 = 1325\n#### 1,325" };
  if (question.startsWith("A train")) return { text: " 60 * 2.5 = 150, so it goes 150 miles" };
  if (question.startsWith("Jake had")) return { text: " He has 36 marbles\n#### 36 marbles, and 7 more", finishReason: "length" };
  if (question.startsWith("A school trip")) return { status: 500, body: '{"error":{"message":"boom"}}' };
  if (question.startsWith("The temperature")) return { text: " 5 - 12 = -7\n#### -7." };
  return { text: " I do not know." };
}
