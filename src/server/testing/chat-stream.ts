import type OpenAI from "openai";

/** What a streamed chat completion (choice 0) added up to, as the `openai` client saw it. */
export interface CollectedChatStream {
  text: string;
  /** Chunks that carried non-empty content. */
  pieces: number;
  finish: string | null;
  usage: OpenAI.CompletionUsage | null;
}

/**
 * Reads a streamed chat completion to its end.
 *
 * @example
 *   const { text, finish, usage } = await collectChatStream(await client.chat.completions.create({ ..., stream: true }));
 */
export async function collectChatStream(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<CollectedChatStream> {
  const out: CollectedChatStream = { text: "", pieces: 0, finish: null, usage: null };
  for await (const chunk of stream) {
    const piece = chunk.choices[0]?.delta.content ?? "";
    if (piece !== "") out.pieces++;
    out.text += piece;
    out.finish = chunk.choices[0]?.finish_reason ?? out.finish;
    if (chunk.usage) out.usage = chunk.usage;
  }
  return out;
}
