import { describe, expect, test } from "bun:test";
import {
  flexibleExtract, INVALID_ANSWER, normalizeAnswer, referenceAnswer, scoreResponse, strictMatch,
} from "./gsm8k-extract.ts";

describe("strict-match", () => {
  const cases: [string, string][] = [
    ["16 - 3 - 4 = 9, 9 * 2 = 18\n#### 18", "18"],
    ["5 - 12 = -7\n#### -7", "-7"],
    ["#### 1,325.", "1,325."],
    ["#### 12.50 dollars", "12.50"],
    ["first #### 4 then #### 5", "4"],
    ["The answer is 18.", INVALID_ANSWER],
    ["####18", INVALID_ANSWER],
    ["#### x", INVALID_ANSWER],
    ["", INVALID_ANSWER],
  ];
  for (const [response, expected] of cases) {
    test(JSON.stringify(response), () => expect(strictMatch(response)).toBe(expected));
  }
});

describe("flexible-extract", () => {
  const cases: [string, string][] = [
    ["She makes $18.", "$18."],
    ["3 apples and 4 pears make 7", "7"],
    ["It was -7 degrees", "-7"],
    ["He pays 1,325 dollars in total", "1,325"],
    ["48/2 = 24 clips, so 48 + 24 = 72 clips in all\n#### 72", "72"],
    ["x is 5", "5"],
    ["no number at all.", INVALID_ANSWER],
    ["", INVALID_ANSWER],
  ];
  for (const [response, expected] of cases) {
    test(JSON.stringify(response), () => expect(flexibleExtract(response)).toBe(expected));
  }
});

describe("normalisation and scoring", () => {
  test("commas, dollar signs, a trailing period and the worked answer before '#### ' are dropped", () => {
    expect(normalizeAnswer("$1,000.")).toBe("1000");
    expect(normalizeAnswer("12.5")).toBe("12.5");
    expect(referenceAnswer("Natalia sold 48/2 = <<48/2=24>>24 clips.\n#### 72\n")).toBe("72");
    expect(referenceAnswer("... $<<1800-475=1325>>1,325.\n#### 1,325")).toBe("1325");
  });

  test("strict needs '#### ', flexible takes the last number", () => {
    const v = scoreResponse("16 - 3 - 4 = 9 eggs, and 9 * 2 = $18.", "…\n#### 18");
    expect(v["strict-match"]).toEqual({ extracted: INVALID_ANSWER, correct: false });
    expect(v["flexible-extract"]).toEqual({ extracted: "$18.", correct: true });
  });

  test("both right on the taught format, with commas on either side", () => {
    const v = scoreResponse("150 * 12 = 1800, 1800 - 475 = 1325\n#### 1,325", "…\n#### 1325");
    expect(v["strict-match"].correct).toBe(true);
    expect(v["flexible-extract"].correct).toBe(true);
  });

  test("answers compare as strings after normalisation, as the harness does (12.00 is not 12)", () => {
    expect(scoreResponse("#### 12.00", "…\n#### 12")["strict-match"].correct).toBe(false);
    expect(scoreResponse("#### 12", "…\n#### 12")["strict-match"].correct).toBe(true);
  });

  test("a wrong number is wrong under both filters", () => {
    const v = scoreResponse("So the answer is 17\n#### 17", "…\n#### 18");
    expect(v["strict-match"].correct).toBe(false);
    expect(v["flexible-extract"].correct).toBe(false);
  });
});
