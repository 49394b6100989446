/**
 * Lookahead assertions for the rules of a bounded repetition, so that xgrammar's per-state token-mask cache can
 * decide their tokens at compile time instead of checking them one by one at every step.
 *
 * Why: xgrammar (the web build, 0.1.27) writes `x{m,n}` with n ≤ 128, e.g. a string's `maxLength: 24`, as `m`
 * copies of `x` and then a chain of nested rules:
 *
 *   string   ::= (("\"" x x x x string_1 "\""))
 *   string_1 ::= ("" | (x string_2))
 *   ...
 *   string_20 ::= ("" | (x))
 *
 * Its cache precomputes, per grammar state, which tokens are accepted, rejected or "uncertain" (decided at run
 * time against the whole stack). A token that runs past the end of its rule is uncertain unless the rule carries
 * a lookahead assertion (what must follow it) that the rest of the token fails. xgrammar infers a lookahead only
 * for a rule referenced once, and not at the end of a sequence: `string_1` gets `"\""`, but `string_2` ...
 * `string_20` sit at the end of their parent's sequence and get none. Deep in the chain, nearly every token of
 * the vocabulary is longer than the characters left, so 100-148k tokens were uncertain and the mask took
 * 2-40 ms a token instead of ~20 µs.
 *
 * The rewrite: a rule R referenced exactly once, as the last element of a sequence of rule P (P ≠ R), is
 * followed by exactly what follows P, so P's lookahead (written, or the one xgrammar infers) holds for R too.
 * The language does not change: xgrammar's matcher does not enforce lookaheads; only the mask cache reads them,
 * to reject tokens whose text after the rule's end cannot match. And such a rule's lookahead is never "exact"
 * to xgrammar (its only reference is at a sequence's end), so it never makes the cache accept a token.
 */

/** One token of xgrammar's printed EBNF: a string, a character class (maybe starred), a rule name, or a bracket. */
interface Tok {
  kind: "str" | "cls" | "id" | "(" | ")" | "|" | "(=";
  text: string;
}

interface Rule {
  name: string;
  line: string;
  /** Elements of each alternative of the body's choices; [] for the empty alternative `""`. */
  alts: Tok[][];
  lookahead: Tok[] | null;
}

interface Use {
  rule: string;
  alt: number;
  pos: number;
}

const ID = /[A-Za-z_][A-Za-z0-9_.-]*/y;

/** The tokens of a rule's right-hand side; null on anything outside the printer's normalized output. */
function lex(s: string): Tok[] | null {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === " ") {
      i++;
    } else if (c === '"' || c === "[") {
      const close = c === '"' ? '"' : "]";
      let j = i + 1;
      while (j < s.length && s[j] !== close) j += s[j] === "\\" ? 2 : 1;
      if (j >= s.length) return null;
      j++;
      if (c === "[" && s[j] === "*") j++;
      out.push({ kind: c === '"' ? "str" : "cls", text: s.slice(i, j) });
      i = j;
    } else if (c === "(" && s[i + 1] === "=") {
      out.push({ kind: "(=", text: "(=" });
      i += 2;
    } else if (c === "(" || c === ")" || c === "|") {
      out.push({ kind: c, text: c });
      i++;
    } else {
      ID.lastIndex = i;
      const m = ID.exec(s);
      if (!m) return null;
      out.push({ kind: "id", text: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

const isElement = (t: Tok | undefined) => t !== undefined && (t.kind === "str" || t.kind === "cls" || t.kind === "id");

/** Elements of `( e e ... )` at `at`, and the index after it; null when it is not such a group. */
function sequence(toks: Tok[], at: number): [Tok[], number] | null {
  if (toks[at]?.kind !== "(") return null;
  let i = at + 1;
  const elems: Tok[] = [];
  while (isElement(toks[i])) elems.push(toks[i++]!);
  if (elems.length === 0 || toks[i]?.kind !== ")") return null;
  return [elems, i + 1];
}

/** `name ::= (alt | alt ...) [(=(e e ...))]`, as xgrammar prints a normalized rule; null otherwise. */
function parseRule(line: string): Rule | null {
  const sep = line.indexOf(" ::= ");
  if (sep <= 0) return null;
  const toks = lex(line.slice(sep + 5));
  if (!toks || toks[0]?.kind !== "(") return null;
  const alts: Tok[][] = [];
  let i = 1;
  for (;;) {
    if (toks[i]?.kind === "str" && toks[i]!.text === '""') {
      alts.push([]);
      i++;
    } else {
      const seq = sequence(toks, i);
      if (!seq) return null;
      alts.push(seq[0]);
      i = seq[1];
    }
    if (toks[i]?.kind === "|") i++;
    else if (toks[i]?.kind === ")") break;
    else return null;
  }
  i++;
  let lookahead: Tok[] | null = null;
  if (toks[i]?.kind === "(=") {
    const seq = sequence(toks, i + 1);
    if (!seq || toks[seq[1]]?.kind !== ")") return null;
    lookahead = seq[0];
    i = seq[1] + 1;
  }
  return i === toks.length ? { name: line.slice(0, sep), line, alts, lookahead } : null;
}

/**
 * `ebnf` (xgrammar's printed grammar, root rule `root`) with a lookahead added to every rule that ends the
 * sequence of its only referrer, taken from that referrer; null when the text is not in the normalized form
 * this reads (e.g. a `{m, n}` repeat), so the caller keeps the grammar as it is.
 *
 * @example
 *   addTailLookaheads('root ::= (("[" a "]"))\na ::= ("" | ("x" b))\nb ::= ("" | ("x"))\n')
 *   // 'root ::= (("[" a "]"))\na ::= ("" | ("x" b))\nb ::= ("" | ("x")) (=("]"))\n'
 */
export function addTailLookaheads(ebnf: string): string | null {
  const lines = ebnf.split("\n").filter((l) => l.length > 0);
  const rules = new Map<string, Rule>();
  for (const line of lines) {
    const rule = parseRule(line);
    if (!rule || rules.has(rule.name)) return null;
    rules.set(rule.name, rule);
  }
  if (!rules.has("root")) return null;
  const uses = new Map<string, Use[]>();
  for (const rule of rules.values()) {
    const refs = [...rule.alts.flatMap((alt, a) => alt.map((t, pos) => ({ t, use: { rule: rule.name, alt: a, pos } }))),
      // A name inside a lookahead is a use that has no place in a sequence: it disqualifies the rule.
      ...(rule.lookahead ?? []).map((t) => ({ t, use: { rule: rule.name, alt: -1, pos: -1 } }))];
    for (const { t, use } of refs) {
      if (t.kind !== "id") continue;
      if (!rules.has(t.text)) return null;
      uses.set(t.text, [...(uses.get(t.text) ?? []), use]);
    }
  }
  const memo = new Map<string, Tok[] | null>();
  const lookaheadOf = (name: string): Tok[] | null => {
    if (memo.has(name)) return memo.get(name)!;
    memo.set(name, null); // a cycle of tail references has no lookahead
    const rule = rules.get(name)!;
    const only = uses.get(name);
    let found: Tok[] | null = rule.lookahead;
    if (!found && name !== "root" && only?.length === 1 && only[0]!.alt >= 0 && only[0]!.rule !== name) {
      const seq = rules.get(only[0]!.rule)!.alts[only[0]!.alt]!;
      found = only[0]!.pos < seq.length - 1 ? seq.slice(only[0]!.pos + 1) : lookaheadOf(only[0]!.rule);
    }
    memo.set(name, found);
    return found;
  };
  const out = lines.map((line) => {
    const rule = rules.get(line.slice(0, line.indexOf(" ::= ")))!;
    const only = uses.get(rule.name);
    if (rule.lookahead || only?.length !== 1 || only[0]!.alt < 0) return line;
    const seq = rules.get(only[0]!.rule)!.alts[only[0]!.alt]!;
    if (only[0]!.pos !== seq.length - 1) return line; // xgrammar infers this one itself
    const la = lookaheadOf(rule.name);
    return la ? `${line} (=(${la.map((t) => t.text).join(" ")}))` : line;
  });
  return `${out.join("\n")}\n`;
}
