/** One token's text and raw bytes, for logprobs. */
import type { ModelTokenizer } from "../../tokenizer/index.ts";
import type { TokenLogprob, TopLogprob } from "../protocol.ts";

let byteDecoder: Map<string, number> | null = null;

/** GPT-2's byte-level alphabet, inverted: the printable character standing for each byte -> the byte. */
function byteLevelDecoder(): Map<string, number> {
  if (byteDecoder) return byteDecoder;
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const map = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const code = printable(b) ? b : 256 + extra++;
    map.set(String.fromCodePoint(code), b);
  }
  byteDecoder = map;
  return map;
}

const BYTE_FALLBACK = /^<0x([0-9A-Fa-f]{2})>$/;

/**
 * The UTF-8 bytes a token stands for. Byte-level BPE pieces (`Ġthe`) and SentencePiece byte fallbacks
 * (`<0xE2>`) map to their raw bytes, so a token holding part of a character still reports its bytes.
 *
 * @example
 *   tokenBytes(tok, tok.encode(" the")[0]!, " the") // [32, 116, 104, 101]
 */
export function tokenBytes(tokenizer: ModelTokenizer, id: number, text: string): number[] {
  const piece = tokenizer.idToToken(id);
  if (piece !== undefined && !tokenizer.isSpecial(id)) {
    const fallback = BYTE_FALLBACK.exec(piece);
    if (fallback) return [Number.parseInt(fallback[1]!, 16)];
    if (!text.includes("\uFFFD")) return [...new TextEncoder().encode(text)];
    const decoder = byteLevelDecoder();
    const bytes: number[] = [];
    for (const ch of piece) {
      const b = decoder.get(ch);
      if (b === undefined) return [...new TextEncoder().encode(text)];
      bytes.push(b);
    }
    return bytes;
  }
  return [...new TextEncoder().encode(text)];
}

/** Caches each token's text and bytes: logprob formatting decodes the same ids over and over. */
export class TokenTextCache {
  readonly #entries = new Map<number, TopLogprob>();

  constructor(private readonly tokenizer: ModelTokenizer) {}

  /** `{ token, bytes }` of an id with the given logprob. */
  entry(id: number, logprob: number): TopLogprob {
    let cached = this.#entries.get(id);
    if (!cached) {
      // Ids past the tokenizer (embedding padding rows) have no text; vLLM reports them the same way.
      const token = id >= 0 && id < this.tokenizer.vocabSize ? this.tokenizer.decode([id]) : "";
      cached = { token, logprob: 0, bytes: tokenBytes(this.tokenizer, id, token) };
      if (this.#entries.size < 65_536) this.#entries.set(id, cached);
    }
    return { token: cached.token, logprob, bytes: cached.bytes };
  }

  /**
   * The protocol's logprob entry for a sampled token and its alternatives.
   *
   * @example
   *   cache.logprob(9707, -0.1, [{ token: 9707, logprob: -0.1 }]) // { token: "Hello", logprob: -0.1, bytes: [...], topLogprobs: [...] }
   */
  logprob(id: number, logprob: number, top: readonly { token: number; logprob: number }[] | null): TokenLogprob {
    const entry = this.entry(id, logprob);
    return { ...entry, topLogprobs: (top ?? []).map((t) => this.entry(t.token, t.logprob)) };
  }
}
