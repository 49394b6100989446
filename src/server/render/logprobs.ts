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
 * Legacy completion logprobs; `offset` is where these tokens start in the choice's text.
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
    out.top_logprobs.push(Object.fromEntries(item.topLogprobs.map((top) => [top.token, top.logprob])));
    out.text_offset.push(position);
    position += item.token.length;
  }
  return out;
}
