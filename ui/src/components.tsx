/** The page's pieces: sidebar, message, settings, status strip and the API-key prompt (the composer: composer.tsx). */
import { useMemo, useState } from "preact/hooks";
import type { ModelCard } from "./api.ts";
import { AttachmentStrip } from "./attachment-views.tsx";
import type { Attachment } from "./attachments.ts";
import { renderMarkdown } from "./markdown.ts";
import type { AnswerStats, ChatMessage, Conversation, Settings } from "./store.ts";

export function Sidebar(props: {
  conversations: Conversation[];
  currentId: string;
  open: boolean;
  onSelect: (id: string) => void;
  onNew: () => void;
  onDelete: (id: string) => void;
  onExport: () => void;
}) {
  return (
    <nav class={`sidebar${props.open ? " open" : ""}`} aria-label="Conversations">
      <button type="button" class="primary" onClick={props.onNew}>New chat</button>
      <ul class="conversations">
        {props.conversations.map((c) => (
          <li key={c.id} class={c.id === props.currentId ? "current" : ""}>
            <button type="button" class="conversation" aria-current={c.id === props.currentId ? "page" : undefined} onClick={() => props.onSelect(c.id)}>
              {c.title}
            </button>
            <button type="button" class="icon" aria-label={`Delete "${c.title}"`} title="Delete" onClick={() => props.onDelete(c.id)}>×</button>
          </li>
        ))}
      </ul>
      <button type="button" onClick={props.onExport}>Export JSON</button>
    </nav>
  );
}

function Markdown(props: { text: string }) {
  const html = useMemo(() => renderMarkdown(props.text), [props.text]);
  return <div class="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}

function statsLine(s: AnswerStats): string {
  const parts = [
    s.completionTokens !== null ? `${s.completionTokens} tokens` : null,
    s.ttftMs !== null ? `TTFT ${Math.round(s.ttftMs)} ms` : null,
    s.tokensPerSecond !== null ? `${s.tokensPerSecond.toFixed(1)} tok/s` : null,
  ];
  return parts.filter((p) => p !== null).join(" · ");
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
  const [editing, setEditing] = useState<{ text: string; attachments: Attachment[] } | null>(null);
  const state = props.streaming ? "streaming" : m.error ? "error" : m.stopped ? "stopped" : "done";
  if (m.role === "user") {
    const attachments = m.attachments ?? [];
    return (
      <article class="message user" data-state={state} aria-label="Your message">
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
  return (
    <article class="message assistant" data-state={state} aria-label="Answer" aria-busy={props.streaming}>
      {m.reasoning ? (
        <details class="reasoning" open={props.streaming && !m.content}>
          <summary>Reasoning</summary>
          <div class="reasoning-text">{m.reasoning}</div>
        </details>
      ) : null}
      {m.content ? <Markdown text={m.content} /> : props.streaming && !m.reasoning ? <p class="pending">…</p> : null}
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
        {props.canRegenerate ? <button type="button" disabled={props.busy} onClick={props.onRegenerate}>Regenerate</button> : null}
      </div>
    </article>
  );
}

function prettyArguments(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function SettingsPanel(props: { settings: Settings; onChange: (s: Settings) => void }) {
  const s = props.settings;
  const num = (key: "temperature" | "topP" | "maxTokens", value: string) => {
    const n = Number(value);
    if (value !== "" && Number.isFinite(n)) props.onChange({ ...s, [key]: n });
  };
  return (
    <section class="settings" aria-label="Conversation settings">
      <label>System prompt<textarea rows={3} value={s.systemPrompt} onInput={(e) => props.onChange({ ...s, systemPrompt: e.currentTarget.value })} /></label>
      <div class="settings-row">
        <label>Temperature<input type="number" min="0" max="2" step="0.1" value={s.temperature} onChange={(e) => num("temperature", e.currentTarget.value)} /></label>
        <label>Top p<input type="number" min="0" max="1" step="0.05" value={s.topP} onChange={(e) => num("topP", e.currentTarget.value)} /></label>
        <label>Max tokens<input type="number" min="1" step="1" value={s.maxTokens} onChange={(e) => num("maxTokens", e.currentTarget.value)} /></label>
      </div>
    </section>
  );
}

export interface ServerGauges {
  kvUsage: number | null;
  prefixHitRate: number | null;
}

export function StatusStrip(props: { model: ModelCard | null; gauges: ServerGauges | null; last: AnswerStats | null }) {
  const pct = (v: number | null) => (v === null ? "–" : `${(v * 100).toFixed(0)}%`);
  const last = props.last;
  return (
    <footer class="status" aria-label="Server status">
      <span>Model <strong>{props.model?.id ?? "–"}</strong></span>
      <span>Context {props.model?.contextLength?.toLocaleString() ?? "–"}</span>
      <span>Last answer {last?.tokensPerSecond != null ? `${last.tokensPerSecond.toFixed(1)} tok/s` : "–"}, TTFT {last?.ttftMs != null ? `${Math.round(last.ttftMs)} ms` : "–"}</span>
      <span>KV cache {pct(props.gauges?.kvUsage ?? null)}</span>
      <span>Prefix hits {pct(props.gauges?.prefixHitRate ?? null)}</span>
    </footer>
  );
}

export function KeyDialog(props: { error: string | null; onSubmit: (key: string) => void }) {
  const [key, setKey] = useState("");
  return (
    <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="key-title">
      <form class="dialog" onSubmit={(e) => { e.preventDefault(); if (key.trim()) props.onSubmit(key.trim()); }}>
        <h2 id="key-title">This server needs an API key</h2>
        <p>It was started with <code>--api-key</code>. The key stays in this browser.</p>
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autocomplete="off" value={key} onInput={(e) => setKey(e.currentTarget.value)} autoFocus />
        {props.error ? <p class="error" role="alert">{props.error}</p> : null}
        <button type="submit" class="primary" disabled={key.trim() === ""}>Use this key</button>
      </form>
    </div>
  );
}
