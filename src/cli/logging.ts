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

/** `message` on one line: line breaks and the indentation after them become single spaces. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, " ").trim();
}

/**
 * Prints `message` as exactly one line on stderr (no badge, no stack, whatever the log level) and marks the
 * process to exit with `code`.
 *
 * @example
 *   failWith("serve: port 8000 on 127.0.0.1 is already in use (pass --port to pick another)");
 */
export function failWith(message: string, code = 1): void {
  process.stderr.write(`${oneLine(message)}\n`);
  process.exitCode = code;
}
