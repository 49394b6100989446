import { expect, test } from "bun:test";
import { uiLoader } from "./ui-bundle.ts";

test("from source (nothing embedded) the UI is built from ui/ when asked for", async () => {
  const assets = await uiLoader()();
  const page = assets.find((a) => a.path === "/");
  expect(new TextDecoder().decode(page!.body)).toContain('<div id="app">');
  expect(assets.some((a) => /^\/ui\/app\.[0-9a-f]{10}\.js$/.test(a.path))).toBe(true);
});
