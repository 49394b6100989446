/** Attachments on screen: a row of thumbnails (removable in the composer and while editing) and one opened large. */
import { useEffect, useRef, useState } from "preact/hooks";
import { type Attachment, formatBytes } from "./attachments.ts";

const REDUCED_NOTE = "Kept as a smaller copy (the browser's storage was full); that copy is what is sent again.";
const DROPPED_NOTE = "Not kept (the browser's storage was full); it is no longer sent with this message.";

function Thumbnail(props: { a: Attachment; onOpen: () => void; onRemove?: () => void }) {
  const a = props.a;
  const picture = a.preview ?? (a.kind === "image" && a.url ? a.url : null);
  const note = a.saved === "reduced" ? REDUCED_NOTE : a.saved === "dropped" ? DROPPED_NOTE : null;
  return (
    <li class="thumb" data-attachment={a.id} data-kind={a.kind} data-saved={a.saved} title={note ? `${a.name}: ${note}` : `${a.name} (${formatBytes(a.size)})`}>
      <button type="button" class="thumb-open" aria-label={`Open ${a.name}`} onClick={props.onOpen}>
        {picture ? <img src={picture} alt={a.name} /> : <span class="thumb-name">{a.name}</span>}
        {a.kind === "video" ? <span class="thumb-badge" aria-hidden="true">▶</span> : null}
        {a.saved ? <span class="thumb-note">{a.saved === "reduced" ? "small copy" : "not saved"}</span> : null}
      </button>
      {props.onRemove ? <button type="button" class="thumb-remove" aria-label={`Remove ${a.name}`} onClick={props.onRemove}>×</button> : null}
    </li>
  );
}

/** The attachments as thumbnails; a click opens one large. `onRemove` adds a remove button to each. */
export function AttachmentStrip(props: { attachments: readonly Attachment[]; label: string; onRemove?: (id: string) => void }) {
  const [open, setOpen] = useState<Attachment | null>(null);
  if (props.attachments.length === 0) return null;
  return (
    <>
      <ul class="attachments" aria-label={props.label}>
        {props.attachments.map((a) => (
          <Thumbnail key={a.id} a={a} onOpen={() => setOpen(a)} onRemove={props.onRemove ? () => props.onRemove!(a.id) : undefined} />
        ))}
      </ul>
      {open ? <Viewer a={open} onClose={() => setOpen(null)} /> : null}
    </>
  );
}

function Viewer(props: { a: Attachment; onClose: () => void }) {
  const a = props.a;
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => { if (e.key === "Escape") props.onClose(); };
    addEventListener("keydown", onKey);
    return () => {
      removeEventListener("keydown", onKey);
      // The opener, or its thumbnail as rendered now if a re-render replaced it.
      const back = opener?.isConnected ? opener : document.querySelector<HTMLElement>(`[data-attachment="${CSS.escape(a.id)}"] .thumb-open`);
      back?.focus();
    };
  }, []);
  const src = a.url || a.preview;
  return (
    <div class="overlay viewer" role="dialog" aria-modal="true" aria-label={a.name} onClick={(e) => { if (e.target === e.currentTarget) props.onClose(); }}>
      <figure>
        {!src ? <p>{DROPPED_NOTE}</p>
          : a.kind === "video" && a.url ? <video src={a.url} controls />
          : <img src={src} alt={a.name} />}
        <figcaption>
          {a.name} · {formatBytes(a.size)}{a.saved ? ` · ${a.saved === "reduced" ? REDUCED_NOTE : DROPPED_NOTE}` : ""}
          <button type="button" ref={close} onClick={props.onClose}>Close</button>
        </figcaption>
      </figure>
    </div>
  );
}
