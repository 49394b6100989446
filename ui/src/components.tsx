/** The page's pieces: sidebar, message, composer, settings, status strip and the API-key prompt. */
import { useMemo, useState } from "preact/hooks";
import type { ModelCard } from "./api.ts";
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
  onEdit: (text: string) => void;
}) {
  const m = props.message;
  const [editing, setEditing] = useState<string | null>(null);
  const state = props.streaming ? "streaming" : m.error ? "error" : m.stopped ? "stopped" : "done";
  if (m.role === "user") {
    return (
      <article class="message user" data-state={state} aria-label="Your message">
        {editing === null ? (
          <>
            <div class="bubble">{m.content}</div>
            <div class="actions">
              <button type="button" disabled={props.busy} onClick={() => setEditing(m.content)}>Edit</button>
            </div>
          </>
        ) : (
          <form class="edit" onSubmit={(e) => { e.preventDefault(); props.onEdit(editing); setEditing(null); }}>
            <label class="visually-hidden" for={`edit-${m.id}`}>Edit your message</label>
            <textarea id={`edit-${m.id}`} value={editing} rows={3} onInput={(e) => setEditing(e.currentTarget.value)} />
            <div class="actions">
              <button type="submit" class="primary" disabled={props.busy || editing.trim() === ""}>Send</button>
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

function PaperClip() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">
      <path d="M21 11.5l-8.5 8.5a5 5 0 01-7-7l9-9a3.5 3.5 0 015 5l-9 9a2 2 0 01-3-3l8.5-8.5" />
    </svg>
  );
}

export function Composer(props: { busy: boolean; attachReason: string | null; onSend: (text: string) => void; onStop: () => void }) {
  const [text, setText] = useState("");
  const submit = () => {
    if (props.busy || text.trim() === "") return;
    props.onSend(text);
    setText("");
  };
  return (
    <form class="composer" onSubmit={(e) => { e.preventDefault(); submit(); }}>
      <div class="composer-row">
        <button type="button" class="icon attach" disabled={props.attachReason !== null} aria-describedby="attach-note"
          aria-label="Attach an image or video" title={props.attachReason ?? "Attach an image or video"}><PaperClip /></button>
        <label class="visually-hidden" for="prompt">Message</label>
        <textarea id="prompt" rows={2} placeholder="Send a message (Shift+Enter: new line)" value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => { if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); } }} />
        {/* Keyed, and the click's default prevented: the answer ending re-renders before the click's default action
            runs, and a Stop button turned into the Send button in place would then send the draft being typed. */}
        {props.busy
          ? <button key="stop" type="button" class="stop" onClick={(e) => { e.preventDefault(); props.onStop(); }}>Stop</button>
          : <button key="send" type="submit" class="primary" disabled={text.trim() === ""}>Send</button>}
      </div>
      {props.attachReason ? <p id="attach-note" class="note attach-note">{props.attachReason}</p> : null}
    </form>
  );
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
