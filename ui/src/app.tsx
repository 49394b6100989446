/** The chat page: conversations, the streamed answer, settings, status and the API-key prompt. */
import { useEffect, useRef, useState } from "preact/hooks";
import { Api, ApiError, type ModelCard, requestMaxTokens, type StreamUpdate } from "./api.ts";
import { type Attachment, attachPolicy } from "./attachments.ts";
import { KeyDialog, type ServerGauges, SettingsPanel, Sidebar, StatusStrip } from "./components.tsx";
import { Composer } from "./composer.tsx";
import { requestMessages, withoutFailedTurn } from "./conversation.ts";
import { MessageView } from "./message-view.tsx";
import {
  type AnswerStats, type ChatMessage, type Conversation, exportJson, loadApiKey, loadConversations, newConversation, newId,
  saveApiKey, type Settings, titleFrom,
} from "./store.ts";
import { useDrawer } from "./use-drawer.ts";
import { usePersist } from "./use-persist.ts";

/** `/ui/config.json`: what the server (or `vllm-mlx chat`) asks new conversations to start with. */
export interface UiConfig {
  textOnly: boolean;
  maxTokens?: number;
  temperature?: number;
}

interface Running {
  conversationId: string;
  messageId: string;
  controller: AbortController;
}

function defaultSettings(config: UiConfig): Settings {
  return { systemPrompt: "", temperature: config.temperature ?? 0.7, topP: 1, maxTokens: config.maxTokens ?? 2048 };
}

export function App(props: { config: UiConfig }) {
  const [conversations, setConversations] = useState<Conversation[]>(() => {
    const saved = loadConversations();
    return saved.length > 0 ? saved : [newConversation(defaultSettings(props.config))];
  });
  const [currentId, setCurrentId] = useState(() => conversations[0]!.id);
  const [model, setModel] = useState<ModelCard | null>(null);
  const [gauges, setGauges] = useState<ServerGauges | null>(null);
  const [needKey, setNeedKey] = useState(false);
  const [keyError, setKeyError] = useState<string | null>(null);
  const [banner, setBanner] = useState<string | null>(null);
  const [running, setRunning] = useState<Running | null>(null);
  const drawer = useDrawer();
  const [showSettings, setShowSettings] = useState(false);
  /** Figures of the answer streaming now (tokens counted as streamed deltas until the usage chunk says). */
  const [live, setLive] = useState<AnswerStats | null>(null);
  const apiKey = useRef<string | null>(loadApiKey());
  const api = useRef(new Api(() => apiKey.current)).current;
  const retry = useRef<(() => void) | null>(null);
  const current = conversations.find((c) => c.id === currentId) ?? conversations[0]!;
  const scroller = useRef<HTMLDivElement>(null);
  // Follows the answer down while the reader is at the bottom; stays put when they scrolled up.
  const pinned = useRef(true);
  useEffect(() => {
    pinned.current = true;
  }, [currentId]);
  useEffect(() => {
    const el = scroller.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [current.messages, currentId]);

  const storageNote = usePersist(conversations, running);

  const refresh = async () => {
    try {
      const [card] = await api.models();
      setModel(card ?? null);
      setBanner(null);
      const m = await api.metrics().catch((e) => (e instanceof ApiError && e.status === 401 ? null : Promise.reject(e)));
      if (m) setGauges({ kvUsage: m.vllm_mlx_kv_cache_usage_ratio ?? null, prefixHitRate: m.vllm_mlx_prefix_cache_hit_rate ?? null });
      else if (!api.metricsServed) setGauges(null);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        if (apiKey.current) setKeyError("The server did not accept that key.");
        setNeedKey(true);
      } else setBanner((e as Error).message);
    }
  };

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => { if (document.visibilityState === "visible") void refresh(); }, 5000);
    return () => clearInterval(timer);
  }, []);

  const update = (id: string, change: (c: Conversation) => Conversation) =>
    setConversations((list) => list.map((c) => (c.id === id ? change(c) : c)));
  const setMessage = (conversationId: string, messageId: string, change: (m: ChatMessage) => ChatMessage) =>
    update(conversationId, (c) => ({ ...c, messages: c.messages.map((m) => (m.id === messageId ? change(m) : m)) }));

  /** Streams an answer to `history` (which ends with the user's message) into a new assistant message. */
  const answer = async (conversation: Conversation, history: ChatMessage[]) => {
    const target: ChatMessage = { id: newId(), role: "assistant", content: "" };
    const controller = new AbortController();
    pinned.current = true; // the reader asked for this answer: show it, even if they had scrolled up
    update(conversation.id, (c) => ({ ...c, title: conversation.title, updatedAt: Date.now(), messages: [...history, target] }));
    setRunning({ conversationId: conversation.id, messageId: target.id, controller });
    const s = conversation.settings;
    const messages = requestMessages(s.systemPrompt, history);
    const started = performance.now();
    let first: number | null = null;
    let deltas = 0;
    const stats = (u: StreamUpdate): AnswerStats => {
      const end = performance.now();
      const n = u.completionTokens;
      const rate = first !== null && n !== null && n > 1 && end > first ? ((n - 1) * 1000) / (end - first) : null;
      return { ttftMs: first === null ? null : first - started, tokensPerSecond: rate, completionTokens: n };
    };
    try {
      const maxTokens = requestMaxTokens(s.maxTokens, defaultSettings(props.config).maxTokens, model?.contextLength ?? null);
      const request = { model: model?.id ?? "default", messages, temperature: s.temperature, top_p: s.topP, max_tokens: maxTokens };
      const final = await api.streamChat(request, controller.signal, (u) => {
        if (first === null && (u.content || u.reasoning || u.toolCalls.length > 0)) first = performance.now();
        if (first !== null) setLive(stats({ ...u, completionTokens: u.completionTokens ?? ++deltas }));
        setMessage(conversation.id, target.id, (m) => ({ ...m, content: u.content, reasoning: u.reasoning, toolCalls: [...u.toolCalls] }));
      });
      const figures = stats(final);
      setMessage(conversation.id, target.id, (m) => ({
        ...m, content: final.content, reasoning: final.reasoning, toolCalls: [...final.toolCalls], stats: figures,
        ...(controller.signal.aborted ? { stopped: true } : {}),
      }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        update(conversation.id, (c) => ({ ...c, messages: history }));
        retry.current = () => void answer(conversation, history);
        setNeedKey(true);
      } else {
        setMessage(conversation.id, target.id, (m) => ({ ...m, error: `The answer failed: ${(e as Error).message}` }));
      }
    } finally {
      setLive(null);
      setRunning(null);
      void refresh();
    }
  };

  /** Sends a new question; after a failed answer, in place of the question that failed (the Retry button resends it). */
  const send = (text: string, attachments: Attachment[]) => {
    const message: ChatMessage = { id: newId(), role: "user", content: text, ...(attachments.length > 0 ? { attachments } : {}) };
    const kept = withoutFailedTurn(current.messages);
    const conversation = { ...current, messages: kept, ...(kept.length === 0 ? { title: titleFrom(text || attachments[0]!.name) } : {}) };
    update(current.id, () => conversation);
    void answer(conversation, [...kept, message]);
  };

  const regenerate = () => {
    const last = current.messages.at(-1);
    if (last?.role === "assistant") void answer(current, current.messages.slice(0, -1));
  };

  const editAndResend = (messageId: string, text: string, attachments: Attachment[]) => {
    const index = current.messages.findIndex((m) => m.id === messageId);
    if (index < 0) return;
    const edited: ChatMessage = { ...current.messages[index]!, content: text, attachments: attachments.length > 0 ? attachments : undefined };
    const conversation = index === 0 ? { ...current, title: titleFrom(text || attachments[0]?.name || "") } : current;
    void answer(conversation, [...current.messages.slice(0, index), edited]);
  };

  const newChat = () => {
    const fresh = newConversation(current.messages.length === 0 ? current.settings : defaultSettings(props.config));
    setConversations((list) => [fresh, ...list.filter((c) => c.messages.length > 0)]);
    setCurrentId(fresh.id);
    drawer.setOpen(false);
  };

  const remove = (id: string) => {
    if (running?.conversationId === id) running.controller.abort();
    const rest = conversations.filter((c) => c.id !== id);
    const next = rest.length > 0 ? rest : [newConversation(defaultSettings(props.config))];
    setConversations(next);
    if (id === currentId) setCurrentId(next[0]!.id);
  };

  const submitKey = (key: string) => {
    apiKey.current = key;
    saveApiKey(key);
    setNeedKey(false);
    setKeyError(null);
    void refresh();
    const pending = retry.current;
    retry.current = null;
    pending?.();
  };

  const sorted = [...conversations].sort((a, b) => b.updatedAt - a.updatedAt);
  const elsewhere = running && running.conversationId !== current.id ? conversations.find((c) => c.id === running.conversationId) : undefined;
  const lastAnswer = [...current.messages].reverse().find((m) => m.role === "assistant" && m.stats)?.stats ?? null;
  return (
    <div class="app">
      <header class="topbar">
        <button ref={drawer.menu} type="button" class="icon menu" aria-label="Conversations" aria-expanded={drawer.open}
          onClick={() => drawer.setOpen(!drawer.open)}>☰</button>
        <h1>{current.title}</h1>
        <button type="button" aria-expanded={showSettings} onClick={() => setShowSettings(!showSettings)}>Settings</button>
      </header>
      {drawer.open ? <div class="scrim" aria-hidden="true" onClick={drawer.dismiss} /> : null}
      <Sidebar navRef={drawer.nav} conversations={sorted} currentId={current.id} open={drawer.open} onNew={newChat} onDelete={remove}
        onSelect={(id) => { setCurrentId(id); drawer.setOpen(false); }} onExport={() => exportJson(conversations, "vllm-mlx-conversations.json")} />
      <main class="main">
        {showSettings ? <SettingsPanel settings={current.settings} onChange={(s) => update(current.id, (c) => ({ ...c, settings: s }))} /> : null}
        {banner ? <p class="banner error" role="alert">{banner}</p> : null}
        {storageNote ? <p class="banner error storage" role="alert">{storageNote}</p> : null}
        <div class="messages" ref={scroller} onScroll={(e) => {
          const el = e.currentTarget;
          pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
        }}>
          {current.messages.length === 0 ? <p class="empty">Ask anything. Answers stream here; Markdown, code and math are rendered.</p> : null}
          {current.messages.map((m, i) => (
            <MessageView key={m.id} message={m} busy={running !== null}
              streaming={running?.messageId === m.id}
              canRegenerate={m.role === "assistant" && i === current.messages.length - 1 && running?.messageId !== m.id}
              onRegenerate={regenerate} onEdit={(text, attachments) => editAndResend(m.id, text, attachments)} />
          ))}
        </div>
        <Composer busy={running?.conversationId === current.id}
          elsewhere={elsewhere ? { title: elsewhere.title, onGo: () => setCurrentId(elsewhere.id) } : null}
          policy={attachPolicy(props.config.textOnly, model)} onSend={send} onStop={() => running?.controller.abort()} />
      </main>
      <StatusStrip model={model} gauges={gauges} last={live ?? lastAnswer} />
      {needKey ? <KeyDialog error={keyError} onSubmit={submitKey} /> : null}
    </div>
  );
}
