/**
 * The grammar engine: xgrammar's WASM build (`@mlc-ai/web-xgrammar`, the module and its WASM in one JS file, so
 * `bun build --compile` embeds it like any import). xgrammar reports a bad grammar by printing `[FATAL] ...` and
 * aborting the call; {@link xgrammarCall} captures that line so the error can name what failed.
 */
import xgr from "@mlc-ai/web-xgrammar";

export type { CompiledGrammar, Grammar, GrammarCompiler, GrammarMatcher, TokenizerInfo } from "@mlc-ai/web-xgrammar";
export { xgr };

/** A grammar or schema that xgrammar could not compile; the message is xgrammar's own. */
export class GrammarCompileError extends Error {
  override name = "GrammarCompileError";
}

/** Lines xgrammar printed during the current {@link xgrammarCall}; null outside one. */
let captured: string[] | null = null;
let hooked = false;

/**
 * The module binds `console.error` once, when it first starts: route it through a function that collects lines
 * during {@link xgrammarCall} and prints them otherwise. `console.error` itself is restored at once.
 */
async function hookOutput(): Promise<void> {
  if (hooked) return;
  const original = console.error;
  console.error = (...args: unknown[]) => {
    if (captured) captured.push(args.map(String).join(" "));
    else original(...args);
  };
  try {
    // Any call starts the module; this one is cheap.
    await xgr.Testings.isGrammarAcceptString(await xgr.Grammar.fromEBNF('root ::= "a"'), "a");
  } finally {
    console.error = original;
  }
  hooked = true;
}

/** xgrammar's message out of its output, e.g. "Lookbehind is not supported yet". */
function fatalMessage(lines: string[]): string | undefined {
  for (const line of lines) {
    const m = /\[FATAL\][^:]*:\d+: (.*)$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * Runs one xgrammar call; an abort becomes a {@link GrammarCompileError} carrying xgrammar's message.
 *
 * @example
 *   const g = await xgrammarCall(() => compiler.compileGrammar('root ::= "yes" | "no"'));
 */
export async function xgrammarCall<T>(fn: () => Promise<T>): Promise<T> {
  await hookOutput();
  const lines: string[] = [];
  captured = lines;
  try {
    return await fn();
  } catch (e) {
    const why = fatalMessage(lines) ?? (e instanceof Error ? e.message : String(e));
    throw new GrammarCompileError(why);
  } finally {
    captured = null;
  }
}
