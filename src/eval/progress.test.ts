import { expect, test } from "bun:test";
import { EvalProgress } from "./progress.ts";

function run(isTTY: boolean, total: number): string[] {
  const writes: string[] = [];
  const progress = new EvalProgress({ isTTY, write: (text: string) => writes.push(text) });
  for (let done = 1; done <= total; done++) progress.update(done, total, `d${done}`);
  progress.finish();
  return writes;
}

test("on a TTY the bar is redrawn in place and the line ended once", () => {
  const writes = run(true, 3);
  expect(writes.length).toBe(4);
  expect(writes.slice(0, 3).every((w) => w.startsWith("\r\x1b[2K"))).toBe(true);
  expect(writes[3]).toBe("\n");
});

test("off a TTY a plain line at each tenth of the way and at the end", () => {
  const writes = run(false, 50);
  expect(writes.length).toBe(10);
  expect(writes.every((w) => w.endsWith("\n") && !w.includes("\r"))).toBe(true);
  expect(writes[0]).toStartWith("[###...");
  expect(writes[0]).toEndWith("5/50 d5\n");
  expect(writes.at(-1)).toEndWith("50/50 d50\n");
});
