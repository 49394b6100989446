/**
 * Where the chat UI comes from: the bundle embedded in the compiled binary, else (running from source) a
 * build of `ui/` in memory on the first request for the page.
 */
import { embeddedUiLoader, type UiLoader } from "../server/ui.ts";

/**
 * @example
 *   createApp({ engine, ui: { load: uiLoader(), defaults: { maxTokens: 2048 } } });
 */
export function uiLoader(): UiLoader {
  return embeddedUiLoader() ?? (async () => (await import("../../ui/build.ts")).buildUi());
}
