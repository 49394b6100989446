/** The conversations drawer of a narrow window: opened by ☰, closed by ☰, Escape or a tap beside it. */
import { useEffect, useRef, useState } from "preact/hooks";

export function useDrawer() {
  const [open, setOpen] = useState(false);
  /** The ☰ button, where focus returns when the drawer is dismissed. */
  const menu = useRef<HTMLButtonElement>(null);
  const nav = useRef<HTMLElement>(null);
  const dismiss = () => {
    setOpen(false);
    menu.current?.focus();
  };
  useEffect(() => {
    if (!open) return;
    // Only while ☰ is shown: a wide window's sidebar is not a drawer.
    if (menu.current?.offsetParent !== null) nav.current?.querySelector<HTMLElement>("[aria-current], button")?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && !e.defaultPrevented && document.querySelector('[role="dialog"]') === null) dismiss();
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [open]);
  return { open, setOpen, menu, nav, dismiss };
}
