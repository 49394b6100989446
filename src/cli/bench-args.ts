/**
 * Flag checks and value parsers shared by `bench`, `bench serve` and `eval` (and the flag scan every command's
 * check uses, {@link scanFlags}); every failure is a {@link BenchArgError}.
 */
import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Slo } from "../bench/metrics.ts";

/** A bad command-line value; the commands print its message and exit with code 2. */
export class BenchArgError extends Error {
  override readonly name = "BenchArgError";
}

export type FlagKind = "string" | "boolean";

/** The first thing wrong with a command line's flags: a flag the command does not take, or a value flag without a value. */
export type FlagIssue = { type: "unknown"; flag: string; option: string } | { type: "no-value"; flag: string };

/**
 * Reads `rawArgs` as citty does (`--x v`, `--x=v`, `-x`, `--no-x` for a boolean, everything after `--` positional;
 * a negative number is a value, not a flag) and returns its positional arguments and its first flag problem.
 * `kindOf` gives a flag's kind ("boolean" takes no value; any other kind needs one, and an empty one is none).
 *
 * @example
 *   scanFlags(["--promts", "5"], (f) => (f === "prompts" ? "string" : undefined)).issue // { type: "unknown", flag: "promts", ... }
 */
export function scanFlags(rawArgs: readonly string[], kindOf: (flag: string) => string | undefined):
  { issue: FlagIssue | null; positionals: string[] } {
  const positionals: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") {
      positionals.push(...rawArgs.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const [flag, inline] = arg.replace(/^--?/, "").split(/=(.*)/s, 2) as [string, string | undefined];
    const name = flag.startsWith("no-") && kindOf(flag.slice(3)) === "boolean" ? flag.slice(3) : flag;
    const kind = kindOf(name);
    if (kind === undefined) return { issue: { type: "unknown", flag, option: arg.split("=")[0]! }, positionals };
    if (kind === "boolean") continue;
    // "--max-num-seqs=" or "--max-num-seqs ''" would otherwise leave the flag unset without a word.
    const value = inline ?? rawArgs[++i];
    if (value === undefined || value === "" || (inline === undefined && value.startsWith("--") && value.length > 2)) {
      return { issue: { type: "no-value", flag }, positionals };
    }
  }
  return { issue: null, positionals };
}

/**
 * Rejects unknown flags and string flags without a value (citty accepts both silently).
 *
 * @example
 *   checkFlags(["--prompts", "5"], { prompts: "string" });  // ok
 *   checkFlags(["--promts", "5"], { prompts: "string" });   // throws: unknown option --promts
 */
export function checkFlags(rawArgs: readonly string[], known: Record<string, FlagKind>): void {
  const { issue } = scanFlags(rawArgs, (flag) => (Object.hasOwn(known, flag) ? known[flag] : undefined));
  if (issue?.type === "unknown") {
    throw new BenchArgError(`unknown option --${issue.flag} (options: ${Object.keys(known).map((k) => `--${k}`).join(", ")})`);
  }
  if (issue) throw new BenchArgError(`--${issue.flag} needs a value`);
}

/**
 * A whole number of at least `min`.
 *
 * @example
 *   parseIntFlag("prompts", "5", 1); // 5
 */
export function parseIntFlag(name: string, value: string, min = 0): number {
  if (!/^\d+$/.test(value.trim())) throw new BenchArgError(`--${name} must be a whole number (got '${value}')`);
  const n = Number(value);
  if (n < min) throw new BenchArgError(`--${name} must be at least ${min} (got ${n})`);
  return n;
}

/**
 * Checks, before a long run, that an output file's folder exists: a run should not end by failing to write.
 *
 * @example
 *   checkOutputFolder("output", "results/run.json");
 */
export function checkOutputFolder(name: string, path: string): void {
  const dir = dirname(resolve(path));
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch { /* missing: reported below */ }
  if (!isDir) throw new BenchArgError(`--${name} ${path}: the folder ${dir} does not exist`);
}

/** A finite number in [min, max]. */
export function parseNumberFlag(name: string, value: string, min = -Infinity, max = Infinity): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new BenchArgError(`--${name} must be a number (got '${value}')`);
  if (n < min || n > max) throw new BenchArgError(`--${name} must be between ${min} and ${max} (got ${n})`);
  return n;
}

/**
 * A comma-separated list of concurrency levels.
 *
 * @example
 *   parseConcurrencyList("1,2,4"); // [1, 2, 4]
 */
export function parseConcurrencyList(value: string): number[] {
  const levels = value.split(",").map((part) => parseIntFlag("concurrency", part, 1));
  if (levels.length === 0) throw new BenchArgError("--concurrency needs at least one level");
  return levels;
}

/** A request rate in requests per second; `inf` sends every request at once. */
export function parseRequestRate(value: string): number {
  if (value.trim().toLowerCase() === "inf") return Infinity;
  const rate = parseNumberFlag("request-rate", value);
  if (!(rate > 0)) throw new BenchArgError(`--request-rate must be positive (got ${rate})`);
  return rate;
}

/**
 * Goodput objectives `ttft:MS,tpot:MS,e2el:MS` (any subset).
 *
 * @example
 *   parseGoodput("ttft:500,tpot:50"); // { ttftMs: 500, tpotMs: 50 }
 */
export function parseGoodput(value: string): Slo {
  const slo: Slo = {};
  const keys: Record<string, keyof Slo> = { ttft: "ttftMs", tpot: "tpotMs", e2el: "e2eMs" };
  for (const part of value.split(",")) {
    const [metric, ms] = part.split(":");
    const key = keys[metric?.trim().toLowerCase() ?? ""];
    if (!key || ms === undefined) {
      throw new BenchArgError(`--goodput takes metric:ms pairs with metric ttft, tpot or e2el (got '${part}')`);
    }
    slo[key] = parseNumberFlag("goodput", ms, 0);
  }
  return slo;
}

/** One of `choices`. */
export function parseChoice<T extends string>(name: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new BenchArgError(`--${name} must be one of ${choices.join(", ")} (got '${value}')`);
  }
  return value as T;
}

/**
 * An image size `WxH` (each side 1 to 16384).
 *
 * @example
 *   parseImageSize("1280x720"); // { width: 1280, height: 720 }
 */
export function parseImageSize(value: string): { width: number; height: number } {
  const match = /^\s*(\d+)\s*[xX×]\s*(\d+)\s*$/.exec(value);
  if (!match) throw new BenchArgError(`--image-size takes WIDTHxHEIGHT, e.g. 448x448 (got '${value}')`);
  const [width, height] = [Number(match[1]), Number(match[2])];
  if (width < 1 || height < 1 || width > 16384 || height > 16384) {
    throw new BenchArgError(`--image-size sides must be between 1 and 16384 (got ${width}x${height})`);
  }
  return { width, height };
}
