/** One message: the question (with Edit), or the answer with its reasoning, tool calls, code copy buttons and actions. */
import { useMemo, useState } from "preact/hooks";
import { AttachmentStrip } from "./attachment-views.tsx";
import type { Attachment } from "./attachments.ts";
import { copyText } from "./clipboard.ts";
import { isFailedTurn } from "./conversation.ts";
import { renderMarkdown } from "./markdown.ts";
import type { AnswerStats, ChatMessage } from "./store.ts";
import { splitThink } from "./think.ts";

const COPIED_MS = 2000;
const resets = new WeakMap<Element, ReturnType<typeof setTimeout>>();

/** A click on a code block's Copy button (rendered in the Markdown's HTML) copies that block's code. */
function onCopyClick(e: MouseEvent): void {
  const button = (e.target as Element | null)?.closest?.("button.copy-code");
  if (!button) return;
  const code = button.parentElement?.querySelector("pre > code")?.textContent ?? "";
  void copyText(code).then((ok) => {
    button.textContent = ok ? "Copied" : "Copy failed";
    clearTimeout(resets.get(button));
    resets.set(button, setTimeout(() => (button.textContent = "Copy"), COPIED_MS));
  });
}

function Markdown(props: { text: string }) {
  const html = useMemo(() => renderMarkdown(props.text), [props.text]);
  return <div class="markdown" onClick={onCopyClick} dangerouslySetInnerHTML={{ __html: html }} />;
}

function statsLine(s: AnswerStats): string {
  const parts = [
    s.completionTokens !== null ? `${s.completionTokens} tokens` : null,
    s.ttftMs !== null ? `TTFT ${Math.round(s.ttftMs)} ms` : null,
    s.tokensPerSecond !== null ? `${s.tokensPerSecond.toFixed(1)} tok/s` : null,
  ];
  return parts.filter((p) => p !== null).join(" · ");
}

function prettyArguments(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function Question(props: { message: ChatMessage; state: string; busy: boolean; onEdit: (text: string, attachments: Attachment[]) => void }) {
  const m = props.message;
  const [editing, setEditing] = useState<{ text: string; attachments: Attachment[] } | null>(null);
  const attachments = m.attachments ?? [];
  return (
    <article class="message user" data-state={props.state} aria-label="Your message">
      {editing === null ? (
        <>
          <AttachmentStrip attachments={attachments} label="Attached" />
          {m.content ? <div class="bubble">{m.content}</div> : null}
          <div class="actions">
            <button type="button" disabled={props.busy} onClick={() => setEditing({ text: m.content, attachments })}>Edit</button>
          </div>
        </>
      ) : (
        <form class="edit" onSubmit={(e) => { e.preventDefault(); props.onEdit(editing.text, editing.attachments); setEditing(null); }}>
          <AttachmentStrip attachments={editing.attachments} label="Attached" onRemove={(id) =>
            setEditing({ ...editing, attachments: editing.attachments.filter((a) => a.id !== id) })} />
          <label class="visually-hidden" for={`edit-${m.id}`}>Edit your message</label>
          <textarea id={`edit-${m.id}`} value={editing.text} rows={3} onInput={(e) => setEditing({ ...editing, text: e.currentTarget.value })} />
          <div class="actions">
            <button type="submit" class="primary" disabled={props.busy || (editing.text.trim() === "" && editing.attachments.length === 0)}>Send</button>
            <button type="button" onClick={() => setEditing(null)}>Cancel</button>
          </div>
        </form>
      )}
    </article>
  );
}

export function MessageView(props: {
  message: ChatMessage;
  streaming: boolean;
  canRegenerate: boolean;
  busy: boolean;
  onRegenerate: () => void;
  onEdit: (text: string, attachments: Attachment[]) => void;
}) {
  const m = props.message;
  const state = props.streaming ? "streaming" : m.error ? "error" : m.stopped ? "stopped" : "done";
  // A server that does not split reasoning out leaves it in the text as <think>…</think>.
  const split = useMemo(() => splitThink(m.content), [m.content]);
  if (m.role === "user") return <Question message={m} state={state} busy={props.busy} onEdit={props.onEdit} />;
  const reasoning = [m.reasoning?.trim(), split.reasoning].filter(Boolean).join("\n\n");
  const failedTurn = props.canRegenerate && isFailedTurn(m);
  return (
    <article class="message assistant" data-state={state} aria-label="Answer" aria-busy={props.streaming}>
      {reasoning ? (
        <details class="reasoning" open={props.streaming && !split.content}>
          <summary>Reasoning</summary>
          <div class="reasoning-text">{reasoning}</div>
        </details>
      ) : null}
      {split.content ? <Markdown text={split.content} /> : props.streaming && !reasoning ? <p class="pending">…</p> : null}
      {(m.toolCalls ?? []).map((call, i) => (
        <div class="tool-call" key={call.id || i}>
          <div class="tool-call-head">Tool call: <code>{call.name || "(unnamed)"}</code></div>
          <pre>{prettyArguments(call.arguments)}</pre>
        </div>
      ))}
      {m.error ? <p class="error" role="alert">{m.error}</p> : null}
      <div class="actions">
        {m.stopped ? <span class="note">Stopped</span> : null}
        {m.stats ? <span class="note stats">{statsLine(m.stats)}</span> : null}
        {props.canRegenerate
          ? <button type="button" disabled={props.busy} onClick={props.onRegenerate}>{m.error ? "Retry" : "Regenerate"}</button>
          : null}
        {failedTurn ? <span class="note failed-turn">Or send a new message: it takes this question's place.</span> : null}
      </div>
    </article>
  );
}
