import { describe, expect, test } from "bun:test";
import { epochMs, parseTraceLine } from "./trace.ts";

describe("trace marks", () => {
  test("a mark line parses back; other lines and broken marks are null", () => {
    const line = `[worker] vmlx-trace ${JSON.stringify({ t: 1700000000000.25, ev: "w.add", id: "req-1#3", n: 2 })}`;
    expect(parseTraceLine(line)).toEqual({ t: 1700000000000.25, ev: "w.add", id: "req-1#3", n: 2 });
    expect(parseTraceLine("INFO req-1 POST /v1/completions 200")).toBeNull();
    expect(parseTraceLine("vmlx-trace {not json")).toBeNull();
    expect(parseTraceLine(`vmlx-trace ${JSON.stringify({ ev: "w.add", id: null })}`)).toBeNull();
  });

  test("epochMs is the wall clock, to within the test's own run time", () => {
    const before = Date.now();
    const t = epochMs();
    expect(t).toBeGreaterThanOrEqual(before - 1);
    expect(t).toBeLessThanOrEqual(Date.now() + 1);
  });

  test("VLLM_MLX_TRACE=1 writes one parsable line per mark on stderr; unset writes none", async () => {
    const script = `import { traceMark } from "${import.meta.dir}/trace.ts"; traceMark("http.in", "req-9", { tokens: 3 });`;
    const run = async (env: Record<string, string>) => {
      const proc = Bun.spawn(["bun", "-e", script], { env: { ...process.env, ...env }, stderr: "pipe", stdout: "ignore" });
      await proc.exited;
      return (await new Response(proc.stderr).text()).split("\n").map(parseTraceLine).filter((m) => m !== null);
    };
    const on = await run({ VLLM_MLX_TRACE: "1" });
    expect(on.map(({ ev, id, tokens }) => ({ ev, id, tokens }))).toEqual([{ ev: "http.in", id: "req-9", tokens: 3 }]);
    expect(await run({ VLLM_MLX_TRACE: "0" })).toEqual([]);
  });
});
