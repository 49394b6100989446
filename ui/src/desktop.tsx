/** The desktop app's page (`vllm-mlx app`): model picker, server controls, the chat UI in a frame, and the live log. */
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "./desktop-api.ts";

/** Engine flags offered in the window, by their `serve` names. */
const ENGINE_FLAGS = [
  ["max-num-seqs", "Max sequences"],
  ["max-model-len", "Max model length"],
  ["kv-cache-memory", "KV cache memory (e.g. 4G)"],
  ["max-cache-blocks", "Max KV cache blocks"],
  ["paged-cache-block-size", "KV block size"],
] as const;
const LOG_LINES = 500;

function ModelPicker(props: { model: string; onModel: (spec: string) => void; disabled: boolean }) {
  const [models, setModels] = useState<api.ModelChoice[]>([]);
  const [local, setLocal] = useState("");
  const [repo, setRepo] = useState("");
  const [note, setNote] = useState("");
  const refresh = () => void api.listModels().then(setModels).catch((e: Error) => setNote(e.message));
  useEffect(refresh, []);
  const useLocal = async () => {
    const problem = await api.checkPath(local);
    if (problem) return setNote(problem);
    setNote("");
    props.onModel(local);
  };
  const fetchRepo = async () => {
    setNote(`Downloading ${repo}…`);
    try {
      const spec = await api.download(repo, (file, done, total) => setNote(`${file}: ${Math.round((100 * done) / Math.max(total, 1))}% of ${(total / 1e6).toFixed(1)} MB`));
      setNote(`Downloaded ${spec}`);
      refresh();
      props.onModel(spec);
    } catch (e) {
      setNote((e as Error).message);
    }
  };
  const known = models.some((m) => m.spec === props.model);
  return (
    <fieldset disabled={props.disabled}>
      <legend>Model</legend>
      <label for="model">Model</label>
      <select id="model" value={props.model} onChange={(e) => props.onModel(e.currentTarget.value)}>
        {models.map((m) => <option key={m.spec} value={m.spec}>{m.label}</option>)}
        {!known && props.model ? <option value={props.model}>{props.model}</option> : null}
      </select>
      <label for="local-path">Local folder or .gguf file</label>
      <div class="row"><input id="local-path" value={local} onInput={(e) => setLocal(e.currentTarget.value)} placeholder="/path/to/model" />
        <button type="button" onClick={() => void useLocal()} disabled={!local}>Use</button></div>
      <label for="repo">Download from the Hugging Face Hub</label>
      <div class="row"><input id="repo" value={repo} onInput={(e) => setRepo(e.currentTarget.value)} placeholder="mlx-community/Qwen3-0.6B-4bit" />
        <button type="button" onClick={() => void fetchRepo()} disabled={!repo}>Download</button></div>
      <p class="note" role="status">{note}</p>
    </fieldset>
  );
}

function LogPane(props: { state: api.ServerState; apiKey: string }) {
  const [lines, setLines] = useState<api.LogLine[]>([]);
  const pane = useRef<HTMLPreElement>(null);
  const running = props.state.state === "running";
  useEffect(() => {
    if (!running) return;
    const stop = new AbortController();
    void api.followLogs(props.apiKey, stop.signal, (line) => setLines((old) => [...old.slice(-(LOG_LINES - 1)), line])).catch(() => {});
    return () => stop.abort();
  }, [running, props.apiKey]);
  useEffect(() => pane.current?.scrollTo(0, pane.current.scrollHeight), [lines]);
  return (
    <section class="logs" aria-label="Server log">
      <pre ref={pane} id="log">
        {lines.map((l) => <div key={l.seq} class={`log-${l.level}`}>{new Date(l.time).toLocaleTimeString()} [{l.source}] {l.message}</div>)}
      </pre>
    </section>
  );
}

function Desktop() {
  const [state, setState] = useState<api.ServerState>({ state: "stopped" });
  const [model, setModel] = useState("default");
  const [port, setPort] = useState("8000");
  const [apiKey, setApiKey] = useState("");
  const [flags, setFlags] = useState<Record<string, string>>({});
  useEffect(() => void api.serverState().then(setState), []);
  const start = async () => {
    setState({ state: "starting", model, port: Number(port) });
    const entries = Object.entries(flags).filter(([, v]) => v.trim() !== "");
    setState(await api.startServer({ model, port: Number(port), ...(apiKey ? { apiKey } : {}), flags: Object.fromEntries(entries) }));
  };
  const stop = async () => {
    setState({ state: "stopping" });
    setState(await api.stopServer());
  };
  const busy = state.state !== "stopped";
  const status = state.state === "running" ? `Running ${state.model} on port ${state.port} (context ${state.contextLength})`
    : state.state === "stopped" ? (state.error ? `Stopped: ${state.error}` : "Stopped") : `${state.state[0]!.toUpperCase()}${state.state.slice(1)}…`;
  return (
    <div class="desktop">
      <aside class="controls">
        <h1>vLLM-MLX</h1>
        <ModelPicker model={model} onModel={setModel} disabled={busy} />
        <fieldset disabled={busy}>
          <legend>Server</legend>
          <label for="port">Port</label>
          <input id="port" inputMode="numeric" value={port} onInput={(e) => setPort(e.currentTarget.value)} />
          <label for="server-key">API key (optional)</label>
          <input id="server-key" type="password" autoComplete="off" value={apiKey} onInput={(e) => setApiKey(e.currentTarget.value)} />
          {ENGINE_FLAGS.map(([flag, label]) => (
            <div key={flag}>
              <label for={`flag-${flag}`}>{label}</label>
              <input id={`flag-${flag}`} value={flags[flag] ?? ""} onInput={(e) => setFlags({ ...flags, [flag]: e.currentTarget.value })} />
            </div>
          ))}
        </fieldset>
        <div class="row">
          <button id="start" type="button" class="primary" disabled={busy} onClick={() => void start()}>Start</button>
          <button id="stop" type="button" disabled={state.state !== "running"} onClick={() => void stop()}>Stop</button>
        </div>
        <p id="server-status" data-state={state.state} role="status">{status}</p>
      </aside>
      <main class="chat-pane">
        {state.state === "running"
          ? <iframe id="chat" title="Chat" src={`/?server=${state.port}`} />
          : <p class="empty">Pick a model and start the server to chat.</p>}
      </main>
      <LogPane state={state} apiKey={apiKey} />
    </div>
  );
}

render(<Desktop />, document.getElementById("app")!);
