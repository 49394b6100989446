/** `vllm-mlx serve [model]`: the OpenAI-compatible server (its engine lands later). */
import { defineCommand } from "citty";
import { consola } from "consola";
import { failWith, isLogLevel, LOG_LEVELS, setLogLevel } from "./logging.ts";

export interface ServeOptions {
  model: string | undefined;
  host: string;
  port: number;
}

/** Parses a TCP port; null when it is not a whole number in 1..65535. */
export function parsePort(value: string): number | null {
  if (!/^\d+$/.test(value)) return null;
  const port = Number(value);
  return port >= 1 && port <= 65535 ? port : null;
}

export const serveCommand = defineCommand({
  meta: { name: "serve", description: "Serve a model over an OpenAI-compatible HTTP API" },
  args: {
    model: { type: "positional", required: false, description: "Hugging Face repo id or local model folder" },
    host: { type: "string", default: "127.0.0.1", description: "Address to listen on" },
    port: { type: "string", default: "8000", description: "Port to listen on" },
    "log-level": { type: "string", default: "info", description: `Log level: ${LOG_LEVELS.join(", ")}` },
  },
  run({ args }) {
    const level = args["log-level"];
    if (!isLogLevel(level)) return failWith(`--log-level must be one of ${LOG_LEVELS.join(", ")} (got '${level}')`, 2);
    setLogLevel(level);
    const port = parsePort(args.port);
    if (port === null) return failWith(`--port must be a whole number from 1 to 65535 (got '${args.port}')`, 2);
    const options: ServeOptions = { model: args.model, host: args.host, port };
    consola.debug("serve options", options);
    consola.warn(`no model support yet: the server is not built (${options.model ?? "no model given"}, ` +
      `${options.host}:${options.port})`);
  },
});
