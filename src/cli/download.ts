/** `vllm-mlx download <repo>`: fetches a model into the Hugging Face cache (what `serve <repo>` would use). */
import { defineCommand } from "citty";
import { consola } from "consola";
import { failWith } from "./logging.ts";

export const downloadCommand = defineCommand({
  meta: { name: "download", description: "Download a model from the Hugging Face Hub into the local cache" },
  args: {
    repo: { type: "positional", required: true, description: "Repository id, e.g. mlx-community/Qwen3-0.6B-4bit" },
    revision: { type: "string", default: "main", description: "Branch, tag or commit" },
    "include-gguf": { type: "boolean", description: "Also download the repository's .gguf files" },
    quiet: { type: "boolean", description: "No progress bar" },
  },
  async run({ args }) {
    const { downloadModel } = await import("../hub/index.ts");
    try {
      const snap = await downloadModel(args.repo, {
        revision: args.revision,
        includeGguf: args["include-gguf"] === true,
        quiet: args.quiet === true,
      });
      const fetched = snap.downloaded.length === 0 ? "already cached" : `${snap.downloaded.length} files downloaded`;
      consola.success(`${snap.repo}@${snap.commit.slice(0, 12)}: ${snap.files.length} files (${fetched})`);
      console.log(snap.dir);
    } catch (e) {
      failWith(`download: ${(e as Error).message}`);
    }
  },
});
