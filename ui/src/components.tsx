/** The page's pieces: sidebar, settings, status strip and the API-key prompt (a message: message-view.tsx; the composer: composer.tsx). */
import type { Ref } from "preact";
import { useState } from "preact/hooks";
import type { ModelCard } from "./api.ts";
import type { AnswerStats, Conversation, Settings } from "./store.ts";

export function Sidebar(props: {
  navRef?: Ref<HTMLElement>;
  conversations: Conversation[];
  currentId: string;
  open: boolean;
  onSelect: (id: string) => void;
  onNew: () => void;
  onDelete: (id: string) => void;
  onExport: () => void;
}) {
  return (
    <nav ref={props.navRef} class={`sidebar${props.open ? " open" : ""}`} aria-label="Conversations">
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

/** The server's figures; the KV gauges only while /metrics answers (`gauges` null: not served). */
export function StatusStrip(props: { model: ModelCard | null; gauges: ServerGauges | null; last: AnswerStats | null }) {
  const pct = (v: number | null) => (v === null ? "–" : `${(v * 100).toFixed(0)}%`);
  const last = props.last;
  return (
    <footer class="status" aria-label="Server status">
      <span>Model <strong>{props.model?.id ?? "–"}</strong></span>
      <span>Context {props.model?.contextLength?.toLocaleString() ?? "–"}</span>
      <span>Last answer {last?.tokensPerSecond != null ? `${last.tokensPerSecond.toFixed(1)} tok/s` : "–"}, TTFT {last?.ttftMs != null ? `${Math.round(last.ttftMs)} ms` : "–"}</span>
      {props.gauges ? <span>KV cache {pct(props.gauges.kvUsage)}</span> : null}
      {props.gauges ? <span>Prefix hits {pct(props.gauges.prefixHitRate)}</span> : null}
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
