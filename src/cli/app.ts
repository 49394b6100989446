/** `vllm-mlx app`: the desktop app (src/desktop/). citty parses; runDesktopApp does the work. */
import { defineCommand } from "citty";
import { failWith } from "./logging.ts";

export const appCommand = defineCommand({
  meta: { name: "app", description: "Open the desktop app: pick a model, start and stop the server, chat, and follow its log" },
  args: {
    debug: { type: "boolean", description: "Allow WebKit's inspector in the window" },
  },
  async run({ args }) {
    const { runDesktopApp } = await import("../desktop/window.ts");
    try {
      await runDesktopApp({ debug: args.debug === true });
    } catch (e) {
      failWith(`app: ${(e as Error).message}`);
    }
    process.exit(process.exitCode ?? 0);
  },
});
