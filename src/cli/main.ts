#!/usr/bin/env bun
/**
 * The `vllm-mlx` command line: citty parses, each command lives in its own file.
 *
 * @example
 *   vllm-mlx --version
 *   vllm-mlx doctor
 *   vllm-mlx serve mlx-community/Qwen3-0.6B-4bit --port 8000
 *   vllm-mlx download mlx-community/Qwen3-0.6B-4bit
 *   vllm-mlx chat --server-url http://localhost:8000
 *   vllm-mlx app
 */
import { type ArgsDef, type CommandDef, defineCommand, runMain } from "citty";
import { failWith } from "./logging.ts";
import { argsProblem, usagePrinter } from "./usage.ts";
import { PACKAGE_VERSION, versionReport } from "./version.ts";

/**
 * `cmd` with its arguments checked before it runs: an unknown flag, a value flag without a value or an extra
 * positional argument ends it with one line and exit code 2 (citty itself ignores them silently).
 */
function strict<T extends ArgsDef>(cmd: CommandDef<T>): CommandDef<T> {
  const run = cmd.run;
  if (!run) return cmd;
  return {
    ...cmd,
    async run(context) {
      const args = (typeof cmd.args === "function" ? await cmd.args() : await cmd.args) ?? {};
      const meta = (typeof cmd.meta === "function" ? await cmd.meta() : await cmd.meta) ?? {};
      const problem = argsProblem(context.rawArgs, args, `vllm-mlx ${meta.name ?? ""}`.trim());
      if (problem !== null) return failWith(problem, 2);
      return run(context);
    },
  };
}

const main = defineCommand({
  meta: { name: "vllm-mlx", version: PACKAGE_VERSION, description: "OpenAI-compatible LLM server on Apple's MLX" },
  subCommands: {
    app: () => import("./app.ts").then((m) => strict(m.appCommand)),
    bench: () => import("./bench.ts").then((m) => m.benchCommand),
    chat: () => import("./chat.ts").then((m) => strict(m.chatCommand)),
    doctor: () => import("./doctor.ts").then((m) => strict(m.doctorCommand)),
    download: () => import("./download.ts").then((m) => strict(m.downloadCommand)),
    eval: () => import("./eval.ts").then((m) => m.evalCommand),
    serve: () => import("./serve.ts").then((m) => strict(m.serveCommand)),
  },
});

async function printVersion(): Promise<void> {
  const report = await versionReport();
  for (const line of report.lines) console.log(line);
  if (!report.ok) failWith(report.reason);
}

// macOS starts a bundle's executable (vLLM-MLX.app, scripts/package-app.ts) with no command, or with a
// -psn_ process serial number from older Finders: that is the desktop app.
const given = process.argv.slice(2).filter((a) => !a.startsWith("-psn_"));
const inAppBundle = /\.app\/Contents\/MacOS\/[^/]+$/.test(process.execPath);
const argv = inAppBundle && given.length === 0 ? ["app"] : given;
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
  await printVersion();
} else {
  await runMain(main, { rawArgs: argv, showUsage: usagePrinter("vllm-mlx") });
}
