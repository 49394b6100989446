/** The composer: the message being typed, its attachments (picked, pasted or dropped anywhere on the page), Send and Stop. */
import { useEffect, useRef, useState } from "preact/hooks";
import { readAttachment } from "./attachment-read.ts";
import { AttachmentStrip } from "./attachment-views.tsx";
import { acceptList, type AttachPolicy, type Attachment, checkFile } from "./attachments.ts";

function PaperClip() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">
      <path d="M21 11.5l-8.5 8.5a5 5 0 01-7-7l9-9a3.5 3.5 0 015 5l-9 9a2 2 0 01-3-3l8.5-8.5" />
    </svg>
  );
}

/** The attachments of the draft, the files still being read, and the sentences about files refused. */
function useDraftAttachments(policy: AttachPolicy) {
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const [reading, setReading] = useState(0);
  const [problems, setProblems] = useState<string[]>([]);
  // Bytes attached plus bytes being read: the limit holds across picks made before earlier ones finish.
  const reserved = useRef(0);
  const add = (files: File[]) => {
    const refused: string[] = [];
    const reads: Promise<Attachment>[] = [];
    for (const file of files) {
      const checked = checkFile(file, policy, reserved.current);
      if ("error" in checked) {
        refused.push(checked.error);
        continue;
      }
      reserved.current += file.size;
      reads.push(readAttachment(file, checked.kind, checked.mime).catch((e: Error) => {
        reserved.current -= file.size;
        throw new Error(`"${file.name}" could not be read: ${e.message}`);
      }));
    }
    setProblems(refused);
    if (reads.length === 0) return;
    setReading((n) => n + reads.length);
    void Promise.allSettled(reads).then((results) => {
      setReading((n) => n - reads.length);
      setAttachments((list) => [...list, ...results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []))]);
      setProblems((p) => [...p, ...results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : []))]);
    });
  };
  const remove = (id: string) => {
    const gone = attachments.find((a) => a.id === id);
    if (gone) reserved.current -= gone.size;
    setAttachments((list) => list.filter((a) => a.id !== id));
  };
  const clear = () => {
    reserved.current = 0;
    setAttachments([]);
    setProblems([]);
  };
  return { attachments, reading, problems, add, remove, clear };
}

/** Files dropped anywhere on the page are attached (never opened by the browser in place of the page). */
function usePageDrop(onFiles: (files: File[]) => void): boolean {
  const [dragging, setDragging] = useState(false);
  const latest = useRef(onFiles);
  latest.current = onFiles;
  useEffect(() => {
    const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes("Files") ?? false;
    const over = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer!.dropEffect = "copy";
      setDragging(true);
    };
    const leave = (e: DragEvent) => { if (e.relatedTarget === null) setDragging(false); };
    const drop = (e: DragEvent) => {
      setDragging(false);
      if (!hasFiles(e)) return;
      e.preventDefault();
      latest.current([...e.dataTransfer!.files]);
    };
    addEventListener("dragover", over);
    addEventListener("dragleave", leave);
    addEventListener("drop", drop);
    return () => {
      removeEventListener("dragover", over);
      removeEventListener("dragleave", leave);
      removeEventListener("drop", drop);
    };
  }, []);
  return dragging;
}

/** The conversation whose answer is being written while another one is shown. */
export interface AnswerElsewhere {
  title: string;
  onGo: () => void;
}

/**
 * One answer is written at a time. `busy`: this conversation's; `elsewhere`: another's, which the composer names,
 * with a way there and a Stop of its own (the Stop beside the message box only ever stops what is shown).
 */
export function Composer(props: {
  busy: boolean;
  elsewhere: AnswerElsewhere | null;
  policy: AttachPolicy;
  onSend: (text: string, attachments: Attachment[]) => void;
  onStop: () => void;
}) {
  const policy = props.policy;
  const [text, setText] = useState("");
  const draft = useDraftAttachments(policy);
  const dragging = usePageDrop(draft.add);
  const picker = useRef<HTMLInputElement>(null);
  // The server changed to a model that does not take what is attached.
  const refused = draft.attachments.filter((a) => !policy[a.kind]);
  const ready = !props.busy && !props.elsewhere && draft.reading === 0 && refused.length === 0 && (text.trim() !== "" || draft.attachments.length > 0);
  const submit = () => {
    if (!ready) return;
    props.onSend(text, draft.attachments);
    setText("");
    draft.clear();
  };
  const onPaste = (e: ClipboardEvent) => {
    const data = e.clipboardData;
    // Text copied from a document or a spreadsheet often comes with a picture of itself: the text wins.
    if (!data || data.files.length === 0 || data.getData("text/plain") !== "") return;
    e.preventDefault();
    draft.add([...data.files]);
  };
  const label = policy.reason === null && !policy.video ? "Attach an image" : "Attach an image or video";
  const notes = [
    ...draft.problems,
    ...(refused.length > 0 ? [`The model does not take ${refused.map((a) => `"${a.name}"`).join(", ")} now: remove it to send.`] : []),
  ];
  return (
    <form class={`composer${dragging ? " dragging" : ""}`} onSubmit={(e) => { e.preventDefault(); submit(); }}>
      <AttachmentStrip attachments={draft.attachments} label="Attachments to send" onRemove={draft.remove} />
      {draft.reading > 0 ? <p class="note attach-status" role="status">Reading {draft.reading === 1 ? "a file" : `${draft.reading} files`}…</p> : null}
      {dragging ? <p class="note drop-hint" role="status">{policy.reason ?? "Drop to attach"}</p> : null}
      {props.elsewhere ? (
        <p class="note elsewhere" role="status">
          <span>An answer is being written in "{props.elsewhere.title}"; send once it is done.</span>
          <button type="button" onClick={props.elsewhere.onGo}>Go there</button>
          <button type="button" onClick={props.onStop}>Stop it</button>
        </p>
      ) : null}
      <div class="composer-row">
        <button type="button" class="icon attach" disabled={policy.reason !== null} aria-describedby="attach-note"
          aria-label={label} title={policy.reason ?? label} onClick={() => picker.current?.click()}><PaperClip /></button>
        <input ref={picker} type="file" multiple class="visually-hidden" tabIndex={-1} aria-hidden="true"
          accept={acceptList(policy)} disabled={policy.reason !== null}
          onChange={(e) => { draft.add([...(e.currentTarget.files ?? [])]); e.currentTarget.value = ""; }} />
        <label class="visually-hidden" for="prompt">Message</label>
        <textarea id="prompt" rows={2} placeholder="Send a message (Shift+Enter: new line)" value={text}
          onInput={(e) => setText(e.currentTarget.value)} onPaste={onPaste}
          onKeyDown={(e) => { if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); } }} />
        {/* Keyed, and the click's default prevented: the answer ending re-renders before the click's default action
            runs, and a Stop button turned into the Send button in place would then send the draft being typed. */}
        {props.busy
          ? <button key="stop" type="button" class="stop" onClick={(e) => { e.preventDefault(); props.onStop(); }}>Stop</button>
          : <button key="send" type="submit" class="primary" disabled={!ready}>Send</button>}
      </div>
      {notes.length > 0 ? <div class="attach-problems" role="alert">{notes.map((n, i) => <p key={i} class="error">{n}</p>)}</div> : null}
      {policy.reason ? <p id="attach-note" class="note attach-note">{policy.reason}</p> : null}
    </form>
  );
}
