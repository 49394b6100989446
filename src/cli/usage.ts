/**
 * `--help` text for every command, and the check that rejects flags a command does not take.
 *
 * citty's own renderer pads every option line to the longest flag and the longest description, so `serve --help`
 * (61-character flags, 150-character descriptions) printed 230-column lines. This one keeps citty's sections,
 * wording, colours and `(Default: …)` hints, but left-aligns the flags in a capped column and wraps descriptions to
 * the terminal's width (80 columns when stdout is not a terminal); a flag longer than the column gets a line of its
 * own, with its description on the lines below.
 *
 * @example
 *   await runMain(main, { rawArgs, showUsage: usagePrinter("vllm-mlx") });
 */
import type { ArgsDef, CommandDef } from "citty";
import { scanFlags } from "./bench-args.ts";

type AnyCommand = CommandDef<ArgsDef>;
type Resolvable<T> = T | (() => T) | (() => Promise<T>) | Promise<T>;

async function resolve<T>(value: Resolvable<T>): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

/** Whether help text is coloured: as citty decides (off under NO_COLOR=1, TERM=dumb, TEST or CI). */
export const COLOR_DEFAULT = (() => {
  const env = process.env;
  return !(env.NO_COLOR === "1" || env.TERM === "dumb" || !!env.TEST || !!env.CI);
})();

function palette(color: boolean) {
  const paint = (open: number, close = 39) => (text: string) => (color ? `\u001B[${open}m${text}\u001B[${close}m` : text);
  return { bold: paint(1, 22), cyan: paint(36), gray: paint(90), underline: paint(4, 24) };
}

/** Flags wider than this get a line of their own. */
const MAX_FLAG_COLUMN = 32;

/** The width help text wraps to: the terminal's columns (or $COLUMNS), else 80; never below 60 nor above 120. */
export function usageWidth(columns: number | undefined = process.stdout.columns || Number(process.env.COLUMNS) || undefined): number {
  return Math.max(60, Math.min(120, columns && columns > 0 ? columns : 80));
}

function snakeCase(name: string): string {
  return name.replace(/[-\s]+/g, "_").replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/** Words of `text` in lines of at most `width` characters (a longer word stays whole on its own line). */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    if (line === "") line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== "") lines.push(line);
  return lines.length > 0 ? lines : [""];
}

/** A row: the plain label, and its description as plain text plus the gray hints that follow it. */
interface Row {
  label: string;
  text: string;
  hint: string;
}

/** Rows as two columns: labels indented by 2, descriptions wrapped beside them or below a long label. */
export function formatRows(rows: readonly Row[], width: number, color = COLOR_DEFAULT): string {
  const { cyan, gray } = palette(color);
  const labelWidth = Math.min(MAX_FLAG_COLUMN, Math.max(0, ...rows.map((r) => r.label.length)));
  const indent = 2 + labelWidth + 3;
  const textWidth = Math.max(20, width - indent);
  const out: string[] = [];
  for (const row of rows) {
    // Wrap the words of the text and of the hints together; the hints' words are then coloured one by one.
    const words = [...row.text.split(/\s+/).filter(Boolean).map((w) => ({ w, hint: false })),
      ...row.hint.split(/\s+/).filter(Boolean).map((w) => ({ w, hint: true }))];
    const full = words.map((x) => x.w).join(" ");
    let next = 0;
    const lines = wrapWords(full, textWidth).map((line) => {
      const count = line === "" ? 0 : line.split(" ").length;
      const mine = words.slice(next, next + count);
      next += count;
      return mine.map((x) => (x.hint ? gray(x.w) : x.w)).join(" ");
    });
    const pad = " ".repeat(indent);
    if (row.label.length > labelWidth) {
      out.push(`  ${cyan(row.label)}`);
      if (full.length > 0) for (const line of lines) out.push(pad + line);
    } else {
      out.push(`  ${cyan(row.label)}${" ".repeat(labelWidth - row.label.length + 3)}${lines[0]}`.trimEnd());
      for (const line of lines.slice(1)) out.push(pad + line);
    }
  }
  return out.join("\n");
}

function valueHint(def: Record<string, unknown>, name: string): string {
  const hint = typeof def.valueHint === "string" ? `=<${def.valueHint}>` : "";
  if (!def.type || def.type === "positional" || def.type === "boolean") return hint;
  if (def.type === "enum" && Array.isArray(def.options) && def.options.length > 0) return `=<${def.options.join("|")}>`;
  return hint || `=<${snakeCase(name)}>`;
}

function hints(def: Record<string, unknown>, required: boolean): string {
  return [required ? "(Required)" : "", def.default === undefined ? "" : `(Default: ${String(def.default)})`]
    .filter(Boolean).join(" ");
}

/**
 * The help text of `cmd` (a subcommand of `parent`, if given), wrapped to `width` columns.
 *
 * @example
 *   console.log(await renderUsage(serveCommand, main, 80));
 */
export async function renderUsage<T extends ArgsDef = ArgsDef>(command: CommandDef<T>, parentCommand?: CommandDef<T>,
  width = usageWidth(), color = COLOR_DEFAULT, rootName?: string): Promise<string> {
  const cmd = command as unknown as AnyCommand;
  const parent = parentCommand as unknown as AnyCommand | undefined;
  const { bold, cyan, gray, underline } = palette(color);
  const meta = (await resolve(cmd.meta ?? {})) as { name?: string; description?: string; version?: string };
  const parentMeta = (await resolve(parent?.meta ?? {})) as { name?: string; version?: string };
  const args = (await resolve(cmd.args ?? {})) as Record<string, Record<string, unknown>>;
  const ownName = `${parentMeta.name ? `${parentMeta.name} ` : ""}${meta.name ?? process.argv[1] ?? ""}`;
  // citty passes only the immediate parent: `bench serve` gets the root's name put back in front.
  const commandName = rootName && ownName !== rootName && !ownName.startsWith(`${rootName} `) ? `${rootName} ${ownName}` : ownName;
  const positionals: Row[] = [];
  const options: Row[] = [];
  const usageLine: string[] = [];
  for (const [name, def] of Object.entries(args)) {
    const aliases = def.alias === undefined ? [] : Array.isArray(def.alias) ? (def.alias as string[]) : [def.alias as string];
    const description = typeof def.description === "string" ? def.description : "";
    if (def.type === "positional") {
      const upper = name.toUpperCase();
      const required = def.required !== false && def.default === undefined;
      positionals.push({ label: upper + valueHint(def, name), text: description, hint: hints(def, required) });
      usageLine.push(required ? `<${upper}>` : `[${upper}]`);
      continue;
    }
    const required = def.required === true && def.default === undefined;
    const label = [...aliases.map((a) => `-${a}`), `--${name}`].join(", ") + valueHint(def, name);
    options.push({ label, text: description, hint: hints(def, required) });
    if (def.type === "boolean" && (def.default === true || def.negativeDescription) && !/^no[-A-Z]/.test(name)) {
      const negative = [...aliases.map((a) => `--no-${a}`), `--no-${name}`].join(", ");
      const text = typeof def.negativeDescription === "string" ? def.negativeDescription : `Turn --${name} off`;
      options.push({ label: negative, text, hint: required ? "(Required)" : "" });
    }
    if (required) usageLine.push(`--${name}${valueHint(def, name)}`);
  }
  const commands: Row[] = [];
  const subCommands = cmd.subCommands ? await resolve(cmd.subCommands) : undefined;
  if (subCommands) {
    const names: string[] = [];
    for (const [name, sub] of Object.entries(subCommands)) {
      const subMeta = (await resolve((await resolve(sub as Resolvable<AnyCommand>))?.meta ?? {})) as
        { hidden?: boolean; alias?: string | string[]; description?: string };
      if (subMeta.hidden) continue;
      const aliases = subMeta.alias === undefined ? [] : Array.isArray(subMeta.alias) ? subMeta.alias : [subMeta.alias];
      commands.push({ label: [name, ...aliases].join(", "), text: subMeta.description ?? "", hint: "" });
      names.push(name, ...aliases);
    }
    if (names.length > 0) usageLine.push(names.join("|"));
  }
  const version = meta.version ?? parentMeta.version;
  const lines: string[] = [];
  const title = `${meta.description ?? ""} (${commandName}${version ? ` v${version}` : ""})`;
  lines.push(...wrapWords(title, width).map(gray), "");
  const hasOptions = options.length > 0 || positionals.length > 0;
  lines.push(`${underline(bold("USAGE"))} ${cyan(`${commandName}${hasOptions ? " [OPTIONS]" : ""} ${usageLine.join(" ")}`.trimEnd())}`, "");
  if (positionals.length > 0) lines.push(underline(bold("ARGUMENTS")), "", formatRows(positionals, width, color), "");
  if (options.length > 0) lines.push(underline(bold("OPTIONS")), "", formatRows(options, width, color), "");
  if (commands.length > 0) {
    lines.push(underline(bold("COMMANDS")), "", formatRows(commands, width, color), "");
    lines.push(`Use ${cyan(`${commandName} <command> --help`)} for more information about a command.`);
  }
  return lines.join("\n");
}

/**
 * citty's `showUsage` hook for the CLI named `rootName`: prints {@link renderUsage}.
 *
 * @example
 *   await runMain(main, { rawArgs, showUsage: usagePrinter("vllm-mlx") });
 */
export function usagePrinter(rootName: string): <T extends ArgsDef = ArgsDef>(cmd: CommandDef<T>, parent?: CommandDef<T>) => Promise<void> {
  return async (cmd, parent) => console.log(`${await renderUsage(cmd, parent, usageWidth(), COLOR_DEFAULT, rootName)}\n`);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/**
 * What is wrong with `rawArgs` for a command taking `args`, or null: a flag it does not take (with the closest
 * one it does), a value flag given no value, or more positional arguments than it takes. citty ignores the
 * first and last silently, so `serve --max-num-seq 4` served with the default and `serve --bogus 1 ./model`
 * tried to load a model named `1`.
 *
 * @example
 *   argsProblem(["--max-num-seq", "4"], serveCommand.args, "vllm-mlx serve");
 *   // "unknown option --max-num-seq (did you mean --max-num-seqs?); see vllm-mlx serve --help"
 */
export function argsProblem(rawArgs: readonly string[], args: Record<string, { type?: string; alias?: string | string[] }>,
  commandName: string): string | null {
  const kinds = new Map<string, string>();
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const type = def.type ?? "string";
    kinds.set(name, type);
    for (const alias of def.alias === undefined ? [] : Array.isArray(def.alias) ? def.alias : [def.alias]) kinds.set(alias, type);
  }
  const maxPositionals = Object.values(args).filter((d) => d.type === "positional").length;
  const { issue, positionals } = scanFlags(rawArgs, (flag) => kinds.get(flag));
  if (issue?.type === "unknown") {
    const closest = [...kinds.keys()].map((k) => [k, editDistance(issue.flag, k)] as const).sort((a, b) => a[1] - b[1])[0];
    const near = closest && issue.flag !== "" && closest[1] <= Math.max(2, Math.floor(issue.flag.length / 4));
    const hint = near ? ` (did you mean --${closest[0]}?)` : "";
    return `unknown option ${issue.option}${hint}; see ${commandName} --help`;
  }
  if (issue) return `--${issue.flag} needs a value`;
  if (positionals.length > maxPositionals) {
    const extra = positionals.slice(maxPositionals).map((p) => `'${p}'`).join(", ");
    return maxPositionals === 0
      ? `${commandName} takes no arguments (got ${extra}); see ${commandName} --help`
      : `unexpected argument${positionals.length - maxPositionals > 1 ? "s" : ""} ${extra}; see ${commandName} --help`;
  }
  return null;
}
