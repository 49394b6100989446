import { describe, expect, test } from "bun:test";
import { buildUi, scriptAndStyleSize } from "../../ui/build.ts";
import { testApp } from "./testing/helpers.ts";
import { decodeUiBundle, encodeUiBundle, type UiAsset, type UiLoader } from "./ui.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const ASSETS: UiAsset[] = [
  { path: "/", contentType: "text/html; charset=utf-8", body: enc("<!doctype html><title>chat</title>"), immutable: false },
  { path: "/ui/app.abc.js", contentType: "text/javascript; charset=utf-8", body: enc("console.log(1)"), immutable: true },
];

function counting(assets = ASSETS): { load: UiLoader; calls: () => number } {
  let calls = 0;
  return { load: async () => (calls++, assets), calls: () => calls };
}

describe("chat UI routes", () => {
  test("/ serves the page, revalidated, with a same-origin CSP; assets are immutable; built once", async () => {
    const loader = counting();
    const { app } = testApp(undefined, { ui: { load: loader.load } });
    const page = await app.request("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(await page.text()).toContain("<title>chat</title>");
    const js = await app.request("/ui/app.abc.js");
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect(await js.text()).toBe("console.log(1)");
    expect((await app.request("/ui/missing.js")).status).toBe(404);
    expect(loader.calls()).toBe(1);
  });

  test("/ui/config.json carries the defaults for new conversations", async () => {
    const { app } = testApp(undefined, { ui: { load: counting().load, defaults: { maxTokens: 64, temperature: 0.2 } } });
    expect(await (await app.request("/ui/config.json")).json()).toEqual({ textOnly: false, maxTokens: 64, temperature: 0.2 });
  });

  test("without the ui option there is no page at /", async () => {
    const { app } = testApp();
    expect((await app.request("/")).status).toBe(404);
  });

  test("with an API key the page and its assets stay public, the API does not", async () => {
    const { app } = testApp(undefined, { apiKey: "sk-ui", ui: { load: counting().load } });
    expect((await app.request("/")).status).toBe(200);
    expect((await app.request("/ui/app.abc.js")).status).toBe(200);
    expect((await app.request("/ui/config.json")).status).toBe(200);
    expect((await app.request("/v1/models")).status).toBe(401);
    expect((await app.request("/metrics")).status).toBe(401);
    expect((await app.request("/uix")).status).toBe(401);
  });

  test("a failed build answers 500 and is tried again on the next request", async () => {
    let fail = true;
    const { app } = testApp(undefined, {
      ui: { load: async () => { if (fail) throw new Error("build broke"); return ASSETS; } },
    });
    expect((await app.request("/")).status).toBe(500);
    fail = false;
    expect((await app.request("/")).status).toBe(200);
  });

  test("the embedded form round-trips bytes", () => {
    const withBinary = [...ASSETS, { path: "/ui/fonts/a.woff2", contentType: "font/woff2", body: new Uint8Array([0, 255, 7]), immutable: true }];
    expect(decodeUiBundle(encodeUiBundle(withBinary))).toEqual(withBinary);
  });
});

describe("the built UI (ui/build.ts)", () => {
  test("the page links its hashed script and stylesheet, every font KaTeX's CSS names is there, under budget", async () => {
    const assets = await buildUi();
    const paths = new Set(assets.map((a) => a.path));
    const html = new TextDecoder().decode(assets.find((a) => a.path === "/")!.body);
    const linked = [...html.matchAll(/(?:href|src)="(\/ui\/[^"]+)"/g)].map((m) => m[1]!);
    expect(linked).toHaveLength(2);
    for (const path of linked) expect(paths.has(path)).toBe(true);
    const css = new TextDecoder().decode(assets.find((a) => a.path.endsWith(".css"))!.body);
    const fonts = [...css.matchAll(/url\((fonts\/[^)]+)\)/g)].map((m) => `/ui/${m[1]}`);
    expect(fonts.length).toBeGreaterThan(10);
    for (const font of fonts) expect(paths.has(font)).toBe(true);
    // No request leaves the origin: no absolute URL in what the page loads.
    expect(html).not.toMatch(/(?:href|src)="https?:/);
    const size = scriptAndStyleSize(assets);
    console.log(`ui: JS + CSS ${(size.raw / 1024).toFixed(1)} KiB raw, ${(size.gzip / 1024).toFixed(1)} KiB gzipped`);
    expect(size.gzip).toBeLessThan(300 * 1024);
  });
});
