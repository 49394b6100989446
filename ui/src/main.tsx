/** Entry: reads the server's defaults, then renders the chat page. */
import { render } from "preact";
import { App, type UiConfig } from "./app.tsx";

async function config(): Promise<UiConfig> {
  try {
    const res = await fetch("/ui/config.json");
    if (res.ok) return { textOnly: false, ...((await res.json()) as Partial<UiConfig>) };
  } catch {
    // The page still works with the built-in defaults.
  }
  return { textOnly: false };
}

render(<App config={await config()} />, document.getElementById("app")!);
