/** Python literals and calls as models write them (`f(a=1, b='x')`), read into JSON values. */

export type LiteralResult = { ok: true; value: unknown } | { ok: false };

/** A call `name(k=v, ...)`: keyword arguments only, as pythonic tool calls are written. */
export interface PythonCall {
  name: string;
  args: Record<string, unknown>;
}

class Reader {
  i = 0;
  constructor(readonly text: string) {}

  space(): void {
    while (this.i < this.text.length && /\s/.test(this.text[this.i]!)) this.i++;
  }

  eat(ch: string): boolean {
    this.space();
    if (this.text[this.i] !== ch) return false;
    this.i++;
    return true;
  }

  value(): unknown {
    this.space();
    const ch = this.text[this.i];
    if (ch === "'" || ch === '"') return this.string(ch);
    if (ch === "[" || ch === "(") return this.sequence(ch === "[" ? "]" : ")");
    if (ch === "{") return this.dict();
    const m = /^(?:True|False|None|true|false|null|[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))/.exec(this.text.slice(this.i));
    if (!m) throw new SyntaxError(`unexpected '${ch ?? "end"}'`);
    this.i += m[0].length;
    if (m[0] === "True" || m[0] === "true") return true;
    if (m[0] === "False" || m[0] === "false") return false;
    if (m[0] === "None" || m[0] === "null") return null;
    return Number(m[0]);
  }

  string(quote: string): string {
    let out = "";
    for (this.i++; this.i < this.text.length; this.i++) {
      const ch = this.text[this.i]!;
      if (ch === quote) {
        this.i++;
        return out;
      }
      if (ch !== "\\") {
        out += ch;
        continue;
      }
      const next = this.text[++this.i];
      const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0" };
      if (next === "u" || next === "x") {
        const width = next === "u" ? 4 : 2;
        out += String.fromCharCode(Number.parseInt(this.text.slice(this.i + 1, this.i + 1 + width), 16));
        this.i += width;
      } else out += next !== undefined && next in escapes ? escapes[next] : `\\${next ?? ""}`;
    }
    throw new SyntaxError("unterminated string");
  }

  sequence(close: string): unknown[] {
    this.i++;
    const items: unknown[] = [];
    while (!this.eat(close)) {
      items.push(this.value());
      if (!this.eat(",")) {
        if (!this.eat(close)) throw new SyntaxError(`expected '${close}'`);
        return items;
      }
    }
    return items;
  }

  dict(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    while (!this.eat("}")) {
      const key = this.value();
      if (!this.eat(":")) throw new SyntaxError("expected ':'");
      out[String(key)] = this.value();
      if (!this.eat(",")) {
        if (!this.eat("}")) throw new SyntaxError("expected '}'");
        return out;
      }
    }
    return out;
  }

  call(): PythonCall {
    this.space();
    const m = /^[A-Za-z_][\w.]*/.exec(this.text.slice(this.i));
    if (!m) throw new SyntaxError("expected a function name");
    this.i += m[0].length;
    if (!this.eat("(")) throw new SyntaxError("expected '('");
    const args: Record<string, unknown> = {};
    while (!this.eat(")")) {
      this.space();
      const key = /^[A-Za-z_]\w*/.exec(this.text.slice(this.i));
      if (!key) throw new SyntaxError("expected a keyword argument");
      this.i += key[0].length;
      if (!this.eat("=")) throw new SyntaxError("expected '='");
      args[key[0]] = this.value();
      if (!this.eat(",")) {
        if (!this.eat(")")) throw new SyntaxError("expected ')'");
        break;
      }
    }
    return { name: m[0], args };
  }
}

/**
 * Reads a whole Python literal (strings, numbers, True/False/None, lists, tuples, dicts).
 *
 * @example
 *   parsePythonLiteral("{'a': [1, True]}") // { ok: true, value: { a: [1, true] } }
 */
export function parsePythonLiteral(text: string): LiteralResult {
  const reader = new Reader(text);
  try {
    const value = reader.value();
    reader.space();
    return reader.i === text.length ? { ok: true, value } : { ok: false };
  } catch {
    return { ok: false };
  }
}

/**
 * Reads `[f(a=1), g(b='x')]`; null when the text is not exactly such a list.
 *
 * @example
 *   parsePythonCalls("[get_weather(city='Paris')]") // [{ name: "get_weather", args: { city: "Paris" } }]
 */
export function parsePythonCalls(text: string): PythonCall[] | null {
  const reader = new Reader(text);
  try {
    if (!reader.eat("[")) return null;
    const calls: PythonCall[] = [];
    while (!reader.eat("]")) {
      calls.push(reader.call());
      if (!reader.eat(",")) {
        if (!reader.eat("]")) return null;
        break;
      }
    }
    reader.space();
    return reader.i === text.length && calls.length > 0 ? calls : null;
  } catch {
    return null;
  }
}

/**
 * Index just past the bracketed list that starts at `text[0]` (`[`), skipping brackets inside Python
 * strings; -1 while it is open.
 */
export function pythonListEnd(text: string): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "[" || ch === "(" || ch === "{") depth++;
    else if ((ch === "]" || ch === ")" || ch === "}") && --depth === 0) return i + 1;
  }
  return -1;
}
