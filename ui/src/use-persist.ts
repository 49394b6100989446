/** Saving the conversations as they change, with what the storage could not hold. */
import { useEffect, useRef, useState } from "preact/hooks";
import { type Conversation, saveConversations, withInterrupted } from "./store.ts";

const STORAGE_FULL = {
  "attachments-reduced": "The browser's storage is full: the text is saved, images only as smaller copies and videos not at all.",
  "attachments-dropped": "The browser's storage is full: the text is saved, but not the images and videos.",
  failed: "The browser's storage is full: this conversation is not saved.",
} as const;

/**
 * Saves on every change; while an answer streams (`running`), at most once a second (and when the page is left), so
 * that a reload mid-answer keeps the question and what had arrived. Returns what the last save left out, if anything:
 * unlike a banner, it stays until a save keeps everything.
 */
export function usePersist(conversations: Conversation[], running: { conversationId: string; messageId: string } | null): string | null {
  const [storageNote, setStorageNote] = useState<string | null>(null);
  const latest = useRef({ conversations, running });
  latest.current = { conversations, running };
  const lastSave = useRef(0);
  const saveTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const persist = () => {
    if (saveTimer.current !== null) clearTimeout(saveTimer.current);
    saveTimer.current = null;
    lastSave.current = Date.now();
    const { conversations: list, running: r } = latest.current;
    const saved = saveConversations(r ? withInterrupted(list, r.conversationId, r.messageId) : list);
    setStorageNote(saved === "saved" ? null : STORAGE_FULL[saved]);
  };
  useEffect(() => {
    const wait = running === null ? 0 : 1000 - (Date.now() - lastSave.current);
    if (wait <= 0) persist();
    else saveTimer.current ??= setTimeout(persist, wait);
  }, [conversations, running]);
  useEffect(() => {
    addEventListener("pagehide", persist);
    return () => removeEventListener("pagehide", persist);
  }, []);
  return storageNote;
}
