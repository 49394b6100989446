#!/usr/bin/env bun
/**
 * Builds the chat UI into the files the server serves: `/` (index.html), `/ui/app.<hash>.js`,
 * `/ui/app.<hash>.css` and KaTeX's woff2 fonts under `/ui/fonts/`. Everything is bundled from node_modules
 * (no CDN). scripts/build.ts embeds the result in the binary; `bun src/cli/main.ts serve` builds it on the
 * first request for the page. `bun ui/build.ts` prints the sizes (raw and gzipped).
 *
 * @example
 *   const assets = await buildUi();   // [{ path: "/", contentType: "text/html; charset=utf-8", body, immutable }, ...]
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** One built file and where it is served (the same shape as the server's UiAsset). */
export interface BuiltAsset {
  path: string;
  contentType: string;
  body: Uint8Array;
  immutable: boolean;
}

const UI_DIR = import.meta.dir;
const KATEX_DIST = join(dirname(Bun.resolveSync("katex/package.json", UI_DIR)), "dist");

function hash(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex").slice(0, 10);
}

async function bundleScript(entry: string): Promise<Uint8Array> {
  const result = await Bun.build({
    entrypoints: [join(UI_DIR, "src", entry)],
    target: "browser",
    format: "esm",
    minify: true,
    tsconfig: join(UI_DIR, "tsconfig.json"),
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
  });
  if (!result.success || result.outputs.length !== 1) {
    throw new Error(`ui build failed:\n${result.logs.map((l) => String(l)).join("\n")}`);
  }
  return new Uint8Array(await result.outputs[0]!.arrayBuffer());
}

/** Our stylesheet plus KaTeX's, whose fonts are cut down to the woff2 files (every current browser reads them). */
function styles(): { css: Uint8Array; fonts: string[] } {
  const katex = readFileSync(join(KATEX_DIST, "katex.min.css"), "utf8").replace(
    /src:url\((fonts\/[\w-]+\.woff2)\) format\("woff2"\)(?:,url\([^)]*\) format\("[\w-]+"\))*/g,
    'src:url($1) format("woff2")',
  );
  const fonts = [...new Set([...katex.matchAll(/url\(fonts\/([\w-]+\.woff2)\)/g)].map((m) => m[1]!))];
  if (fonts.length === 0 || /\.(woff|ttf)\)/.test(katex)) throw new Error("ui build: KaTeX's @font-face rules changed shape");
  const own = readFileSync(join(UI_DIR, "src", "styles.css"), "utf8");
  return { css: new TextEncoder().encode(`${katex}\n${own}`), fonts };
}

/** A page (`html` served at `path`) with its script and stylesheet, content-hashed under `/ui/<name>.*`. */
function page(name: string, path: string, html: string, js: Uint8Array, css: Uint8Array): BuiltAsset[] {
  const jsPath = `/ui/${name}.${hash(js)}.js`;
  const cssPath = `/ui/${name}.${hash(css)}.css`;
  const text = readFileSync(join(UI_DIR, html), "utf8").replace("%CSS%", cssPath).replace("%JS%", jsPath);
  return [
    { path, contentType: "text/html; charset=utf-8", body: new TextEncoder().encode(text), immutable: false },
    { path: jsPath, contentType: "text/javascript; charset=utf-8", body: js, immutable: true },
    { path: cssPath, contentType: "text/css; charset=utf-8", body: css, immutable: true },
  ];
}

/**
 * Builds every asset of the UI in memory: the chat page at `/`, and the desktop app's page (`vllm-mlx app`,
 * src/desktop/) at `/ui/desktop.html`, which frames the chat page.
 */
export async function buildUi(): Promise<BuiltAsset[]> {
  const [js, desktopJs, { css, fonts }] = await Promise.all([bundleScript("main.tsx"), bundleScript("desktop.tsx"), Promise.resolve(styles())]);
  const desktopCss = new TextEncoder().encode(
    `${readFileSync(join(UI_DIR, "src", "styles.css"), "utf8")}\n${readFileSync(join(UI_DIR, "src", "desktop.css"), "utf8")}`,
  );
  return [
    ...page("app", "/", "index.html", js, css),
    ...page("desktop", "/ui/desktop.html", "desktop.html", desktopJs, desktopCss),
    ...fonts.map((name) => ({
      path: `/ui/fonts/${name}`, contentType: "font/woff2", body: new Uint8Array(readFileSync(join(KATEX_DIST, "fonts", name))), immutable: true,
    })),
  ];
}

/** Bytes of the page's JavaScript and CSS, raw and gzipped (the budget is 300 KB gzipped). */
export function scriptAndStyleSize(assets: BuiltAsset[]): { raw: number; gzip: number } {
  const counted = assets.filter((a) => a.path.endsWith(".js") || a.path.endsWith(".css"));
  return {
    raw: counted.reduce((n, a) => n + a.body.length, 0),
    gzip: counted.reduce((n, a) => n + Bun.gzipSync(Buffer.from(a.body), { level: 9 }).length, 0),
  };
}

if (import.meta.main) {
  const assets = await buildUi();
  for (const a of assets) if (!a.path.startsWith("/ui/fonts/")) console.log(`${a.path}  ${(a.body.length / 1024).toFixed(1)} KiB`);
  const fonts = assets.filter((a) => a.path.startsWith("/ui/fonts/"));
  console.log(`fonts: ${fonts.length} woff2, ${(fonts.reduce((n, a) => n + a.body.length, 0) / 1024).toFixed(1)} KiB`);
  const size = scriptAndStyleSize(assets);
  console.log(`JS + CSS: ${(size.raw / 1024).toFixed(1)} KiB raw, ${(size.gzip / 1024).toFixed(1)} KiB gzipped`);
}
