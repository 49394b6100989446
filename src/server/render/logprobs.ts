/** Engine logprobs -> OpenAI's chat and legacy completion shapes. */
import type { TokenLogprob } from "../../engine/protocol.ts";

export interface ChatLogprobContent {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

/** `choices[i].logprobs.content` entries. */
export function chatLogprobs(items: TokenLogprob[]): ChatLogprobContent[] {
  return items.map((item) => ({
    token: item.token,
    logprob: item.logprob,
    bytes: item.bytes,
    top_logprobs: item.topLogprobs.map((top) => ({ token: top.token, logprob: top.logprob, bytes: top.bytes })),
  }));
}

/** The legacy completions shape: parallel arrays plus offsets into the returned text. */
export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Record<string, number>[];
  text_offset: number[];
}

/**
 * Legacy completion logprobs; `offset` is where these tokens start in the choice's text. Each `top_logprobs` entry
 * holds the sampled token as well as the top alternatives (OpenAI: "the API will always return the logprob of the
 * sampled token, so there may be up to logprobs+1 elements"), so `logprobs: 0` still names the sampled token.
 *
 * @example
 *   completionLogprobs([{ token: "a", logprob: -1, bytes: [97], topLogprobs: [] }], 0).text_offset // [0]
 */
export function completionLogprobs(items: TokenLogprob[], offset: number): CompletionLogprobs {
  const out: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  let position = offset;
  for (const item of items) {
    out.tokens.push(item.token);
    out.token_logprobs.push(item.logprob);
    const top: [string, number][] = item.topLogprobs.map((alt) => [alt.token, alt.logprob]);
    if (!top.some(([token]) => token === item.token)) top.push([item.token, item.logprob]);
    out.top_logprobs.push(Object.fromEntries(top));
    out.text_offset.push(position);
    position += item.token.length;
  }
  return out;
}
