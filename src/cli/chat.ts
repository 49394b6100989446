/**
 * `vllm-mlx chat`, the original's `vllm-mlx-chat`: the chat UI against an OpenAI-compatible server
 * (`--server-url`, default http://localhost:8000) through a local proxy on `--port` (7860), or a terminal
 * chat with `--cli`. citty parses; src/server/ui-proxy.ts and chat-terminal.ts do the work.
 */
import { defineCommand } from "citty";
import { consola } from "consola";
import { defaultAllowedHosts } from "../server/guards.ts";
import { createUiProxy, proxyTarget } from "../server/ui-proxy.ts";
import { hostProblem } from "./listen.ts";
import { failWith } from "./logging.ts";
import { parsePort } from "./serve.ts";
import { uiLoader } from "./ui-bundle.ts";

/** `chat`'s flags, parsed. */
export interface ChatConfig {
  serverUrl: string;
  host: string;
  port: number;
  textOnly: boolean;
  maxTokens: number;
  temperature: number;
  cli: boolean;
  apiKey?: string;
}

type RawArgs = Record<string, unknown>;

/**
 * Validates `chat`'s flags; throws an error whose message names the bad flag.
 *
 * @example
 *   parseChatArgs({ "server-url": "http://localhost:8000", port: "7860" }).maxTokens // 2048
 */
export function parseChatArgs(args: RawArgs, env: NodeJS.ProcessEnv = process.env): ChatConfig {
  const port = parsePort(String(args.port ?? "7860"));
  if (port === null) throw new Error(`--port must be a whole number from 1 to 65535 (got '${String(args.port)}')`);
  const serverUrl = String(args["server-url"] ?? "http://localhost:8000");
  try {
    proxyTarget(serverUrl);
  } catch (e) {
    throw new Error(`--server-url must be an http(s) URL (got '${serverUrl}'): ${(e as Error).message}`);
  }
  const maxTokensText = String(args["max-tokens"] ?? "2048");
  if (!/^\d+$/.test(maxTokensText) || Number(maxTokensText) < 1) throw new Error(`--max-tokens must be a positive whole number (got '${maxTokensText}')`);
  const temperatureText = String(args.temperature ?? "0.7");
  const temperature = Number(temperatureText);
  if (temperatureText.trim() === "" || !Number.isFinite(temperature) || temperature < 0 || temperature > 2) {
    throw new Error(`--temperature must be a number from 0 to 2 (got '${temperatureText}')`);
  }
  const apiKey = typeof args["api-key"] === "string" && args["api-key"] !== "" ? args["api-key"] : env.VLLM_MLX_API_KEY || undefined;
  return {
    serverUrl, host: String(args.host ?? "127.0.0.1"), port, textOnly: args["text-only"] === true,
    maxTokens: Number(maxTokensText), temperature, cli: args.cli === true, ...(apiKey ? { apiKey } : {}),
  };
}

/** Serves the UI proxy until interrupted. */
async function runUiProxy(config: ChatConfig): Promise<void> {
  const badHost = await hostProblem(config.host);
  if (badHost !== null) return failWith(`chat: ${badHost}`);
  const app = createUiProxy({
    target: config.serverUrl,
    allowedHosts: defaultAllowedHosts(config.host, config.port),
    ui: { load: uiLoader(), defaults: { textOnly: config.textOnly, maxTokens: config.maxTokens, temperature: config.temperature } },
  });
  let server: ReturnType<typeof Bun.serve>;
  try {
    // idleTimeout 0: Bun would otherwise cut a stream that is silent for 10 s (a long prefill upstream).
    server = Bun.serve({ hostname: config.host, port: config.port, fetch: app.fetch, idleTimeout: 0 });
  } catch (e) {
    return failWith(`chat: cannot listen on ${config.host}:${config.port}: ${(e as Error).message}`);
  }
  consola.info(`chat UI at ${server.url.href} (for ${proxyTarget(config.serverUrl)})`);
  const stop = () => {
    void server.stop(true);
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

export const chatCommand = defineCommand({
  meta: { name: "chat", description: "Chat with an OpenAI-compatible server: the web UI through a local proxy, or --cli in the terminal" },
  args: {
    "server-url": { type: "string", default: "http://localhost:8000", description: "URL of the server to chat with" },
    port: { type: "string", default: "7860", description: "Port of the chat UI" },
    host: { type: "string", default: "127.0.0.1", description: "Address the chat UI listens on" },
    "text-only": { type: "boolean", description: "No image or video attachments" },
    "max-tokens": { type: "string", default: "2048", description: "Most tokens per answer (the UI's default; changeable per conversation)" },
    temperature: { type: "string", default: "0.7", description: "Sampling temperature (the UI's default; changeable per conversation)" },
    cli: { type: "boolean", description: "Chat in the terminal instead, with streaming" },
    "api-key": { type: "string", description: "API key for --cli (default: $VLLM_MLX_API_KEY); the web UI asks for it" },
  },
  async run({ args }) {
    let config: ChatConfig;
    try {
      config = parseChatArgs(args as RawArgs);
    } catch (e) {
      return failWith((e as Error).message, 2);
    }
    if (!config.cli) return runUiProxy(config);
    const { runTerminalChat } = await import("./chat-terminal.ts");
    try {
      await runTerminalChat({ serverUrl: config.serverUrl, maxTokens: config.maxTokens, temperature: config.temperature,
        ...(config.apiKey ? { apiKey: config.apiKey } : {}) });
    } catch (e) {
      failWith(`chat: ${(e as Error).message}`);
    }
  },
});
