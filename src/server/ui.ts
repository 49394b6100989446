/**
 * The chat UI's routes: `/` (the page), `/ui/config.json` (the defaults the page starts a conversation with)
 * and `/ui/*` (its scripts, styles and fonts). The assets are built from `ui/` at build time (ui/build.ts);
 * nothing here imports the UI's code. The compiled binary carries them as one JSON file registered by the
 * build's entry module ({@link registerEmbeddedUi}); `bun src/cli/main.ts serve` builds them on first request.
 */
import type { Env, Hono } from "hono";
import { readFileSync } from "node:fs";

/** One file of the built UI, served at `path`. */
export interface UiAsset {
  path: string;
  contentType: string;
  body: Uint8Array;
  /** Content-hashed names are cached for a year; the page itself is revalidated. */
  immutable: boolean;
}

/** Produces the built UI; called once, on the first request for it. */
export type UiLoader = () => Promise<UiAsset[]>;

/** What a new conversation starts with; `textOnly` turns attachments off whatever the model takes. */
export interface UiDefaults {
  textOnly?: boolean;
  maxTokens?: number;
  temperature?: number;
}

export interface UiOptions {
  load: UiLoader;
  defaults?: UiDefaults;
}

/** Paths the API key never guards: the page must load to ask for the key. */
export const UI_PUBLIC_PATHS = ["/", "/ui/*"] as const;

/** The JSON form the build embeds: bodies in base64. */
interface EmbeddedUiFile {
  assets: { path: string; contentType: string; immutable: boolean; base64: string }[];
}

let embeddedSource: string | null = null;

/** Called by the build's generated entry module with the embedded bundle's path (`/$bunfs/...`). */
export function registerEmbeddedUi(source: string): void {
  embeddedSource = source;
}

/** The embedded bundle's path, or null when running from source (a worker registers it again in its own graph). */
export function embeddedUiSource(): string | null {
  return embeddedSource;
}

/** The loader of the UI embedded in the binary, or null when running from source. */
export function embeddedUiLoader(): UiLoader | null {
  const source = embeddedSource;
  if (source === null) return null;
  return async () => decodeUiBundle(readFileSync(source, "utf8"));
}

/**
 * Encodes built assets as the JSON file the binary embeds.
 *
 * @example
 *   writeFileSync("ui.json", encodeUiBundle(await buildUi()));
 */
export function encodeUiBundle(assets: UiAsset[]): string {
  const file: EmbeddedUiFile = {
    assets: assets.map((a) => ({ path: a.path, contentType: a.contentType, immutable: a.immutable, base64: Buffer.from(a.body).toString("base64") })),
  };
  return JSON.stringify(file);
}

/** The inverse of {@link encodeUiBundle}. */
export function decodeUiBundle(text: string): UiAsset[] {
  const file = JSON.parse(text) as EmbeddedUiFile;
  return file.assets.map((a) => ({ path: a.path, contentType: a.contentType, immutable: a.immutable, body: new Uint8Array(Buffer.from(a.base64, "base64")) }));
}

/**
 * Serves the UI. A failed build is answered 500 and retried on the next request.
 *
 * @example
 *   registerUiRoutes(app, { load: embeddedUiLoader()!, defaults: { maxTokens: 2048 } });
 */
export function registerUiRoutes<E extends Env>(app: Hono<E>, options: UiOptions): void {
  let assets: Promise<Map<string, UiAsset>> | null = null;
  const table = () => {
    assets ??= options.load().then((list) => new Map(list.map((a) => [a.path, a])));
    assets.catch(() => (assets = null));
    return assets;
  };
  const defaults = { textOnly: false, ...options.defaults };
  app.get("/ui/config.json", (c) => c.json(defaults, 200, { "Cache-Control": "no-cache" }));
  const serveAsset = async (path: string) => {
    const asset = (await table()).get(path);
    if (!asset) return null;
    return new Response(asset.body, {
      headers: {
        "Content-Type": asset.contentType,
        "Cache-Control": asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
        "X-Content-Type-Options": "nosniff",
        ...(asset.contentType.startsWith("text/html") ? { "Content-Security-Policy": CONTENT_SECURITY_POLICY } : {}),
      },
    });
  };
  app.get("/", async (c) => (await serveAsset("/")) ?? c.notFound());
  app.get("/ui/*", async (c) => (await serveAsset(c.req.path)) ?? c.notFound());
}

/** Everything the page loads comes from this origin; inline styles are KaTeX's; only a page of the same origin
 * (the desktop app's, src/desktop/) may frame it. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'";
