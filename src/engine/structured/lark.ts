/**
 * Lark grammars (vLLM's `structured_outputs.grammar` accepts them) translated to xgrammar's EBNF: rules and
 * terminals become `name ::= ...`, `start` becomes `root`, `/regex/` terminals are translated for the regular
 * subset (classes, groups, alternation, quantifiers). What has no EBNF form (`%ignore`, lookaround,
 * back-references, case-insensitive literals) is refused with a message that names it.
 */
import { StructuredOutputError } from "./spec.ts";

const PARAM = "structured_outputs.grammar";

/** Lark's `common` terminals that grammars import most. */
const COMMON: Record<string, string> = {
  DIGIT: "[0-9]", HEXDIGIT: "[0-9a-fA-F]", LETTER: "[a-zA-Z]", LCASE_LETTER: "[a-z]", UCASE_LETTER: "[A-Z]",
  INT: "[0-9]+", SIGNED_INT: '[+\\-]? [0-9]+', DECIMAL: '([0-9]+ "." [0-9]* | "." [0-9]+)',
  FLOAT: '([0-9]+ "." [0-9]* | "." [0-9]+) ([eE] [+\\-]? [0-9]+)?',
  NUMBER: '[0-9]+ ("." [0-9]*)? ([eE] [+\\-]? [0-9]+)?', SIGNED_NUMBER: '[+\\-]? [0-9]+ ("." [0-9]*)? ([eE] [+\\-]? [0-9]+)?',
  WORD: "[a-zA-Z]+", CNAME: "[a-zA-Z_] [a-zA-Z0-9_]*", WS: "[ \\t\\n\\r]+", WS_INLINE: "[ \\t]+", NEWLINE: "[\\r\\n]+",
  CR: '"\\r"', LF: '"\\n"', ESCAPED_STRING: '"\\"" ([^"\\\\\\n] | "\\\\" [^\\n])* "\\""',
};

function refuse(what: string): never {
  throw new StructuredOutputError(`${PARAM}: ${what} is not supported`, PARAM);
}

/** Class shorthands (`\d`) as the inside of an EBNF character class. */
const SHORTHAND: Record<string, string> = { d: "0-9", w: "a-zA-Z0-9_", s: " \\t\\n\\r" };

/** One regex (the body of a Lark `/.../` terminal) as an EBNF expression. */
export function regexToEbnf(re: string): string {
  let i = 0;
  const out: string[] = [];
  const lit = (c: string) => out.push(JSON.stringify(c));
  while (i < re.length) {
    const c = re[i]!;
    if (c === "\\") {
      const e = re[i + 1] ?? "";
      if (/[1-9]/.test(e)) refuse("a regex back-reference");
      if (e in SHORTHAND) out.push(`[${SHORTHAND[e]}]`);
      else if (e.toLowerCase() in SHORTHAND && e !== e.toLowerCase()) out.push(`[^${SHORTHAND[e.toLowerCase()]}]`);
      else if (e === "n") lit("\n");
      else if (e === "t") lit("\t");
      else if (e === "r") lit("\r");
      else if (e === "b" || e === "B") refuse("a regex word boundary");
      else lit(e);
      i += 2;
    } else if (c === "[") {
      let j = i + 1;
      if (re[j] === "^") j++;
      if (re[j] === "]") j++;
      while (j < re.length && re[j] !== "]") j += re[j] === "\\" ? 2 : 1;
      const body = re.slice(i + 1, j).replace(/\\([dws])/g, (_, k: string) => SHORTHAND[k]!);
      out.push(`[${body}]`);
      i = j + 1;
    } else if (c === "(") {
      if (re.startsWith("(?:", i)) { out.push("("); i += 3; }
      else if (re[i + 1] === "?") refuse("a regex lookaround or group flag");
      else { out.push("("); i++; }
    } else if (c === ")" || c === "|" || c === "*" || c === "+" || c === "?") {
      // A '?' after a quantifier makes it lazy: the same language.
      if (c === "?" && /[*+?}]$/.test(out.at(-1) ?? "")) { i++; continue; }
      out.push(c === "|" ? " | " : c);
      i++;
    } else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(re.slice(i));
      if (!m) { lit(c); i++; continue; }
      out.push(m[0]);
      i += m[0].length;
    } else if (c === ".") {
      out.push("[^\\n]");
      i++;
    } else if ((c === "^" && i === 0) || (c === "$" && i === re.length - 1)) {
      i++;
    } else {
      lit(c);
      i++;
    }
  }
  return `(${out.join(" ").replace(/ ([*+?]|\{)/g, "$1")})`;
}

/** One expansion (the right side of a rule) as EBNF. */
function expansion(text: string): string {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const ws = /^\s+/.exec(rest);
    if (ws) { i += ws[0].length; continue; }
    const str = /^"((?:[^"\\]|\\.)*)"(i?)/.exec(rest);
    if (str) {
      if (str[2]) refuse(`the case-insensitive literal "${str[1]}"i`);
      const range = /^\s*\.\.\s*"((?:[^"\\]|\\.)*)"/.exec(rest.slice(str[0].length));
      if (range) { out.push(`[${str[1]}-${range[1]}]`); i += str[0].length + range[0].length; continue; }
      out.push(`"${str[1]}"`);
      i += str[0].length;
      continue;
    }
    const rx = /^\/((?:[^/\\]|\\.)+)\/([imsxlu]*)/.exec(rest);
    if (rx) {
      if (rx[2]) refuse(`the regex flag '${rx[2]}'`);
      out.push(regexToEbnf(rx[1]!));
      i += rx[0].length;
      continue;
    }
    const rep = /^~\s*(\d+)(\s*\.\.\s*(\d+))?/.exec(rest);
    if (rep) { out.push(rep[3] ? `{${rep[1]},${rep[3]}}` : `{${rep[1]}}`); i += rep[0].length; continue; }
    const alias = /^->\s*\w+/.exec(rest);
    if (alias) { i += alias[0].length; continue; }
    const name = /^[A-Za-z_]\w*/.exec(rest);
    if (name) { out.push(name[0] === "start" ? "root" : name[0]); i += name[0].length; continue; }
    const c = rest[0]!;
    if (c === "[") out.push("(");
    else if (c === "]") out.push(")?");
    else if ("()|*+?".includes(c)) out.push(c);
    else refuse(`the Lark syntax '${c}'`);
    i++;
  }
  return out.join(" ").replace(/ ([*+?]|\{)/g, "$1").replace(/\( /g, "(").replace(/ \)/g, ")");
}

/**
 * A Lark grammar as xgrammar EBNF.
 *
 * @example
 *   larkToEbnf('start: "yes" | "no"') // 'root ::= "yes" | "no"'
 */
export function larkToEbnf(lark: string): string {
  const rules: [string, string][] = [];
  const imports: string[] = [];
  for (const raw of lark.split("\n")) {
    const line = raw.replace(/(^|\s)\/\/.*$/, "").trimEnd();
    if (line.trim() === "") continue;
    const t = line.trim();
    if (t.startsWith("%import")) {
      const m = /^%import\s+common\.(\w+)(\s*->\s*(\w+))?$/.exec(t);
      if (!m || !(m[1]! in COMMON)) refuse(`the import '${t}'`);
      rules.push([m[3] ?? m[1]!, COMMON[m[1]!]!]);
      imports.push(m[1]!);
      continue;
    }
    if (t.startsWith("%")) refuse(`the Lark directive '${t.split(/\s/)[0]}'`);
    if (t.startsWith("|")) {
      const last = rules.at(-1);
      if (!last) refuse("an alternative before any rule");
      last[1] += ` | ${expansion(t.slice(1))}`;
      continue;
    }
    const def = /^[?!]?([A-Za-z_]\w*)(\.-?\d+)?\s*:(.*)$/.exec(t);
    if (!def) refuse(`the line '${t}'`);
    rules.push([def[1] === "start" ? "root" : def[1]!, expansion(def[3]!)]);
  }
  if (!rules.some(([n]) => n === "root")) refuse("a grammar without a 'start' rule");
  return rules.map(([n, body]) => `${n} ::= ${body}`).join("\n");
}
