/** What a conversation sends: the request's messages, and the turn a new message replaces after a failed answer. */
import { type ContentPart, contentParts } from "./attachments.ts";
import type { ChatMessage } from "./store.ts";
import { splitThink } from "./think.ts";

/** An answer that failed before any text: the turn (question and error) is retried or replaced, never sent. */
export function isFailedTurn(m: ChatMessage): boolean {
  return m.role === "assistant" && m.error !== undefined && !m.content && !m.toolCalls?.length;
}

/**
 * The messages a new question follows: the last turn taken out when its answer failed, so that the next message
 * takes its place (a too-long question would otherwise be sent again with every later message).
 */
export function withoutFailedTurn(messages: ChatMessage[]): ChatMessage[] {
  const last = messages.at(-1);
  if (!last || !isFailedTurn(last)) return messages;
  return messages.at(-2)?.role === "user" ? messages.slice(0, -2) : messages.slice(0, -1);
}

/**
 * The request's messages for `history` (which ends with the question): the system prompt, then every turn but
 * the failed ones, answers without their `<think>` reasoning (as `reasoning_content` is not sent back either).
 */
export function requestMessages(systemPrompt: string, history: ChatMessage[]): { role: string; content: string | ContentPart[] }[] {
  const kept: ChatMessage[] = [];
  for (const m of history) {
    if (isFailedTurn(m)) {
      if (kept.at(-1)?.role === "user") kept.pop();
    } else kept.push(m);
  }
  return [
    ...(systemPrompt.trim() ? [{ role: "system", content: systemPrompt }] : []),
    ...kept.map((m) => ({
      role: m.role,
      content: m.role === "assistant" ? splitThink(m.content).content : contentParts(m.content, m.attachments ?? []),
    })),
  ];
}
