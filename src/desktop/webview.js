// webview-bun's TypeScript sources do not type-check under this project's settings (a bigint pointer), so the
// app imports them through this file and its declarations (webview.d.ts), and bun bundles them as usual.
export { Webview } from "webview-bun";
export { lib } from "webview-bun/src/ffi.ts";
