import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Gsm8kDataError, parseGsm8kJsonl, readGsm8kJsonl, selectProblems } from "./gsm8k-data.ts";
import { fewShotPrompt } from "./gsm8k-prompt.ts";

const SAMPLE = join(import.meta.dir, "testdata", "gsm8k-sample.jsonl");

describe("prompts", () => {
  test("lm-evaluation-harness's few-shot format: 'Question: …\\nAnswer: …' blocks joined by a blank line", () => {
    const shots = [
      { id: 0, question: "Ann has 2 cats and gets 3 more. How many cats?", answer: "2 + 3 = 5\n#### 5" },
      { id: 1, question: "Bob has 10 cents and spends 4. How many are left?", answer: "10 - 4 = 6\n#### 6" },
    ];
    expect(fewShotPrompt(shots, "What is 7 times 6?")).toBe(
      "Question: Ann has 2 cats and gets 3 more. How many cats?\nAnswer: 2 + 3 = 5\n#### 5\n\n" +
        "Question: Bob has 10 cents and spends 4. How many are left?\nAnswer: 10 - 4 = 6\n#### 6\n\n" +
        "Question: What is 7 times 6?\nAnswer:",
    );
  });

  test("zero shots: the question alone", () => {
    expect(fewShotPrompt([], "What is 7 times 6?")).toBe("Question: What is 7 times 6?\nAnswer:");
  });
});

describe("data", () => {
  test("the sample file parses, ids count problems, blank lines are skipped", async () => {
    const problems = await readGsm8kJsonl(SAMPLE);
    expect(problems.length).toBe(9);
    expect(problems.map((p) => p.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const withBlank = parseGsm8kJsonl('\n{"question":"q","answer":"a\\n#### 1"}\n\n', "t");
    expect(withBlank).toEqual([{ id: 0, question: "q", answer: "a\n#### 1" }]);
  });

  test("bad lines name the file and line", () => {
    expect(() => parseGsm8kJsonl('{"question":"q","answer":"a\\n#### 1"}\nnot json', "t.jsonl")).toThrow(/t\.jsonl:2: not JSON/);
    expect(() => parseGsm8kJsonl('{"question":"q"}', "t.jsonl")).toThrow(/t\.jsonl:1: expected string fields/);
    expect(() => parseGsm8kJsonl('{"question":"q","answer":"42"}', "t.jsonl")).toThrow(/does not end with '#### <number>'/);
  });

  test("a missing file is a Gsm8kDataError", async () => {
    await expect(readGsm8kJsonl("/no/such/file.jsonl")).rejects.toThrow(Gsm8kDataError);
  });

  test("a single file gives the exemplars first and does not ask them again", async () => {
    const test = await readGsm8kJsonl(SAMPLE);
    const { shots, problems } = selectProblems({ test, source: "f" }, 3, 4);
    expect(shots.map((p) => p.id)).toEqual([0, 1, 2]);
    expect(problems.map((p) => p.id)).toEqual([3, 4, 5, 6]);
    expect(selectProblems({ test, source: "f" }, 3).problems.length).toBe(6);
  });

  test("with a train split, exemplars come from it and problems from the start of test", () => {
    const mk = (n: number, tag: string) => Array.from({ length: n }, (_, id) => ({ id, question: `${tag}${id}`, answer: "#### 1" }));
    const { shots, problems } = selectProblems({ test: mk(4, "t"), train: mk(6, "r"), source: "hub" }, 5, 2);
    expect(shots.map((p) => p.question)).toEqual(["r0", "r1", "r2", "r3", "r4"]);
    expect(problems.map((p) => p.question)).toEqual(["t0", "t1"]);
  });

  test("too few problems for the exemplars, or none left, is an error", () => {
    const one = [{ id: 0, question: "q", answer: "#### 1" }];
    expect(() => selectProblems({ test: one, source: "f" }, 2)).toThrow(/has only 1 problems/);
    expect(() => selectProblems({ test: one, source: "f" }, 1)).toThrow(/no problems left/);
  });
});
