/** Conversations in the browser's storage (localStorage), and their JSON export. */
import type { ToolCall } from "./api.ts";
import { type Attachment, storedCopy } from "./attachments.ts";

export interface Settings {
  systemPrompt: string;
  temperature: number;
  topP: number;
  maxTokens: number;
}

/** Figures of one answer, measured in the page. */
export interface AnswerStats {
  ttftMs: number | null;
  tokensPerSecond: number | null;
  completionTokens: number | null;
}

export interface ChatMessage {
  id: string;
  role: "user" | "assistant";
  content: string;
  /** Images and videos sent with a user message. */
  attachments?: Attachment[];
  reasoning?: string;
  toolCalls?: ToolCall[];
  /** A readable reason the answer failed. */
  error?: string;
  /** The user pressed stop. */
  stopped?: boolean;
  stats?: AnswerStats;
}

export interface Conversation {
  id: string;
  title: string;
  updatedAt: number;
  settings: Settings;
  messages: ChatMessage[];
}

const KEY = "vllm-mlx.conversations";

export function newId(): string {
  return crypto.randomUUID();
}

export function loadConversations(): Conversation[] {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) ?? "[]") as Conversation[];
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

/**
 * How much of the conversations the storage holds: everything; everything but the attachments' files (images
 * kept as their small copies, videos as a frame); the text only; or nothing (the storage is full or off).
 */
export type SaveResult = "saved" | "attachments-reduced" | "attachments-dropped" | "failed";

/** The conversations with every attachment replaced by its stored copy at `level`. */
export function withStoredAttachments(list: Conversation[], level: "reduced" | "dropped"): Conversation[] {
  return list.map((c) => ({
    ...c,
    messages: c.messages.map((m) => (m.attachments ? { ...m, attachments: m.attachments.map((a) => storedCopy(a, level)) } : m)),
  }));
}

/** Saves every conversation, giving up the attachments' files before any text when the storage is full. */
export function saveConversations(list: Conversation[]): SaveResult {
  const attempts: [SaveResult, () => Conversation[]][] = [
    ["saved", () => list],
    ["attachments-reduced", () => withStoredAttachments(list, "reduced")],
    ["attachments-dropped", () => withStoredAttachments(list, "dropped")],
  ];
  const hasAttachments = list.some((c) => c.messages.some((m) => m.attachments?.length));
  for (const [result, copy] of hasAttachments ? attempts : attempts.slice(0, 1)) {
    try {
      localStorage.setItem(KEY, JSON.stringify(copy()));
      return result;
    } catch {
      // Full (or off): try a smaller copy.
    }
  }
  return "failed";
}

/**
 * The conversations as saved while an answer streams: that answer is marked stopped, so that a reload mid-answer
 * keeps the question and what had arrived, shown as stopped rather than as a finished answer.
 */
export function withInterrupted(list: Conversation[], conversationId: string, messageId: string): Conversation[] {
  return list.map((c) => (c.id !== conversationId ? c
    : { ...c, messages: c.messages.map((m) => (m.id === messageId && !m.error ? { ...m, stopped: true } : m)) }));
}

export function newConversation(settings: Settings): Conversation {
  return { id: newId(), title: "New chat", updatedAt: Date.now(), settings: { ...settings }, messages: [] };
}

/** A title from the first user message: its first line, at most 48 characters. */
export function titleFrom(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > 48 ? `${line.slice(0, 47)}…` : line || "New chat";
}

/** Starts a download of the conversations as pretty-printed JSON. */
export function exportJson(list: Conversation[], name: string): void {
  const blob = new Blob([JSON.stringify({ exported: new Date().toISOString(), conversations: list }, null, 2)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const API_KEY = "vllm-mlx.apiKey";

/** The API key the user gave; kept in this browser only, never logged or sent elsewhere. */
export function loadApiKey(): string | null {
  try {
    return localStorage.getItem(API_KEY);
  } catch {
    return null;
  }
}

export function saveApiKey(key: string | null): void {
  try {
    if (key === null) localStorage.removeItem(API_KEY);
    else localStorage.setItem(API_KEY, key);
  } catch {
    // Storage off (private mode): the key lives for this page only.
  }
}
