import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { argsProblem, formatRows, renderUsage, usageWidth, wrapWords } from "./usage.ts";
import { serveCommand } from "./serve.ts";

const MAIN = join(import.meta.dir, "main.ts");

function cli(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync([process.execPath, MAIN, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...env }, stdout: "pipe", stderr: "pipe",
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

describe("help text", () => {
  test("wrapWords keeps lines within the width and a long word whole", () => {
    expect(wrapWords("aa bb cc dd", 5)).toEqual(["aa bb", "cc dd"]);
    expect(wrapWords("a verylongword b", 4)).toEqual(["a", "verylongword", "b"]);
    expect(wrapWords("", 10)).toEqual([""]);
  });

  test("usageWidth: the terminal's width between 60 and 120, else 80", () => {
    expect(usageWidth(100)).toBe(100);
    expect(usageWidth(30)).toBe(60);
    expect(usageWidth(300)).toBe(120);
    expect(usageWidth(undefined)).toBe(80);
  });

  test("formatRows: a short flag keeps its description beside it, a long one gets a line of its own", () => {
    const text = formatRows([
      { label: "--port=<port>", text: "Port to listen on", hint: "(Default: 8000)" },
      { label: "--a-very-long-flag-name=<a_very_long_flag_name>", text: "one two three four five six seven eight nine ten", hint: "" },
    ], 80, false);
    const pad = " ".repeat(37);
    expect(text.split("\n")).toEqual([
      `  --port=<port>${" ".repeat(22)}Port to listen on (Default: 8000)`,
      "  --a-very-long-flag-name=<a_very_long_flag_name>",
      `${pad}one two three four five six seven eight`,
      `${pad}nine ten`,
    ]);
    // In colour, the flag is cyan and the default gray, even where the hint wraps onto a line of its own.
    const coloured = formatRows([{ label: "--x", text: "word ".repeat(14).trim(), hint: "(Default: 1)" }], 80, true);
    expect(coloured).toBe(`  \u001B[36m--x\u001B[39m   ${"word ".repeat(14).trim()}\n        \u001B[90m(Default:\u001B[39m \u001B[90m1)\u001B[39m`);
  });

  test("serve's help fits 80 columns and still lists every flag with its description and default", async () => {
    const text = await renderUsage(serveCommand, undefined, 80, false);
    const lines = text.split("\n");
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    const flat = text.replace(/\s+/g, " ");
    for (const [name, def] of Object.entries(serveCommand.args ?? {})) {
      if (def.type === "positional") continue;
      expect(text).toContain(`--${name}`);
      expect(flat).toContain(String(def.description).replace(/\s+/g, " "));
    }
    expect(flat).toContain("Address to listen on (Default: 127.0.0.1)");
    expect(text).toContain("--no-ui");
    expect(flat).toContain("--no-ui Turn --ui off");
  });

  test("every command's --help through the CLI is at most 80 columns wide, exit code 0", () => {
    for (const cmd of [[], ["serve"], ["bench"], ["bench", "serve"], ["eval"], ["eval", "gsm8k"], ["chat"], ["download"], ["doctor"]]) {
      const r = cli([...cmd, "--help"]);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`USAGE vllm-mlx${cmd.length ? ` ${cmd.join(" ")}` : ""}`);
      expect(Math.max(...r.out.split("\n").map((l) => l.length))).toBeLessThanOrEqual(80);
    }
    expect(cli(["serve", "--help"], { COLUMNS: "120" }).out.split("\n").some((l) => l.length > 80)).toBe(true);
  });
});

describe("unknown and extra arguments", () => {
  const args = { model: { type: "positional" }, port: { type: "string" }, ui: { type: "boolean" }, "max-num-seqs": { type: "string" } };

  test("argsProblem accepts known flags, values, --no- booleans and one positional", () => {
    expect(argsProblem(["m", "--port", "1", "--port=2", "--no-ui", "--ui", "--max-num-seqs", "4"], args, "vllm-mlx serve")).toBeNull();
    expect(argsProblem(["--", "-m"], args, "vllm-mlx serve")).toBeNull();
  });

  test("argsProblem names an unknown flag with the closest known one, a missing value, and extra arguments", () => {
    expect(argsProblem(["--max-num-seq", "4"], args, "vllm-mlx serve"))
      .toBe("unknown option --max-num-seq (did you mean --max-num-seqs?); see vllm-mlx serve --help");
    expect(argsProblem(["--frobnicate=3"], args, "vllm-mlx serve")).toBe("unknown option --frobnicate; see vllm-mlx serve --help");
    expect(argsProblem(["--port"], args, "vllm-mlx serve")).toBe("--port needs a value");
    expect(argsProblem(["--port", "--ui"], args, "vllm-mlx serve")).toBe("--port needs a value");
    expect(argsProblem(["--port="], args, "vllm-mlx serve")).toBe("--port needs a value");
    expect(argsProblem(["--port", ""], args, "vllm-mlx serve")).toBe("--port needs a value");
    expect(argsProblem(["-"], args, "vllm-mlx serve")).toBe("unknown option -; see vllm-mlx serve --help");
    expect(argsProblem(["--port", "-1", "--", "m", "--x"], args, "vllm-mlx serve")).toBe("unexpected argument '--x'; see vllm-mlx serve --help");
    expect(argsProblem(["a", "b", "c"], args, "vllm-mlx serve")).toBe("unexpected arguments 'b', 'c'; see vllm-mlx serve --help");
    expect(argsProblem(["x"], {}, "vllm-mlx doctor")).toBe("vllm-mlx doctor takes no arguments (got 'x'); see vllm-mlx doctor --help");
  });

  test("serve and doctor refuse them with one line and exit code 2 before loading anything", () => {
    const typo = cli(["serve", "./no-such-model", "--max-num-seq", "4"]);
    expect(typo.code).toBe(2);
    expect(typo.err).toBe("unknown option --max-num-seq (did you mean --max-num-seqs?); see vllm-mlx serve --help\n");
    const swallowed = cli(["serve", "--bogus", "1", "./no-such-model"]);
    expect(swallowed.code).toBe(2);
    expect(swallowed.err).toBe("unknown option --bogus; see vllm-mlx serve --help\n");
    const doctor = cli(["doctor", "--verbose"]);
    expect(doctor.code).toBe(2);
    expect(doctor.err).toBe("unknown option --verbose; see vllm-mlx doctor --help\n");
  });
});
