/** Hub settings from options and the environment (HF_HUB_CACHE, HF_HOME, HF_HUB_OFFLINE, HF_TOKEN, HF_ENDPOINT). */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Environment variables, as `process.env` holds them. */
export type Env = Record<string, string | undefined>;

/** Options shared by every hub call; each one overrides its environment variable. */
export interface HubOptions {
  /** Cache directory (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /** Hub base URL (default: $HF_ENDPOINT, else https://huggingface.co). */
  endpoint?: string;
  /** Access token, sent as `Authorization: Bearer` (default: $HF_TOKEN, else the file $HF_HOME/token). */
  token?: string;
  /** Never touch the network (default: $HF_HUB_OFFLINE is 1/true/yes/on). */
  offline?: boolean;
  /** Environment to read instead of `process.env` (tests pass their own). */
  env?: Env;
}

/** Settings after options and environment are merged. */
export interface HubSettings {
  cacheDir: string;
  endpoint: string;
  token: string | undefined;
  offline: boolean;
}

export const DEFAULT_ENDPOINT = "https://huggingface.co";
const TRUE_VALUES = new Set(["1", "true", "yes", "on"]);

function isTrue(value: string | undefined): boolean {
  return value !== undefined && TRUE_VALUES.has(value.trim().toLowerCase());
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== "" ? value.trim() : undefined;
}

function hfHome(env: Env): string {
  return nonEmpty(env.HF_HOME) ?? join(nonEmpty(env.HOME) ?? homedir(), ".cache", "huggingface");
}

function storedToken(env: Env): string | undefined {
  const path = nonEmpty(env.HF_TOKEN_PATH) ?? join(hfHome(env), "token");
  try {
    return nonEmpty(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * Merges explicit options with the environment.
 *
 * @example
 *   hubSettings({ env: { HF_HOME: "/data/hf" } }).cacheDir; // "/data/hf/hub"
 */
export function hubSettings(opts: HubOptions = {}): HubSettings {
  const env = opts.env ?? process.env;
  const cacheDir = opts.cacheDir ?? nonEmpty(env.HF_HUB_CACHE) ?? join(hfHome(env), "hub");
  const endpoint = (opts.endpoint ?? nonEmpty(env.HF_ENDPOINT) ?? DEFAULT_ENDPOINT).replace(/\/+$/, "");
  const token = opts.token ?? nonEmpty(env.HF_TOKEN) ?? storedToken(env);
  const offline = opts.offline ?? isTrue(env.HF_HUB_OFFLINE);
  return { cacheDir, endpoint, token, offline };
}
