/** consola set-up shared by the commands. */
import { consola, LogLevels, type LogType } from "consola";

export const LOG_LEVELS = ["silent", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevelName {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * Sets consola's level by name.
 *
 * @example
 *   setLogLevel("debug");
 */
export function setLogLevel(name: LogLevelName): void {
  consola.level = LogLevels[name as LogType];
}

/** Logs `message` as an error and marks the process to exit with `code`. */
export function failWith(message: string, code = 1): void {
  consola.error(message);
  process.exitCode = code;
}
