/**
 * The chat page in Debian's Chromium against the scripted API (browser-testing.ts): code copy buttons, reasoning left
 * in the text as <think>, the phone drawer, and a server without /metrics.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { CODE, lastAnswer, type ScriptedPage, send, startScriptedPage, TIMEOUT_MS } from "./browser-testing.ts";

let scripted: ScriptedPage;

beforeAll(async () => {
  scripted = await startScriptedPage();
}, 120_000);

afterAll(() => scripted?.close());

const done = (page: Page) => page.locator('article.message.assistant[data-state="done"]').last().waitFor({ timeout: TIMEOUT_MS });
const grantClipboard = (page: Page) => page.context().grantPermissions(["clipboard-read", "clipboard-write"]);

describe("answers", () => {
  test("a code block's Copy button copies the code exactly (not its label), says Copied, and works from the keyboard", async () => {
    const page = await scripted.open("", { before: grantClipboard });
    await send(page, "CODE");
    await done(page);
    const block = lastAnswer(page).locator(".code-block");
    expect(await block.locator(".code-lang").textContent()).toBe("python");
    const copy = block.getByRole("button", { name: "Copy" });
    await copy.focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector(".copy-code")?.textContent === "Copied", null, { timeout: 5_000 });
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(CODE);
    expect(await page.evaluate(() => document.activeElement?.className)).toBe("copy-code");
    await page.waitForFunction(() => document.querySelector(".copy-code")?.textContent === "Copy", null, { timeout: 5_000 });
    await page.context().close();
  }, TIMEOUT_MS);

  test("without the Clipboard API (plain http from another machine) the copy goes through a selected textarea", async () => {
    const page = await scripted.open("", {
      before: async (p) => p.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, "clipboard", { get: () => undefined });
        document.addEventListener("copy", (e) => {
          const area = e.target as HTMLTextAreaElement;
          (window as unknown as { copied: string }).copied = area.value.slice(area.selectionStart, area.selectionEnd);
        });
      }).then(() => undefined),
    });
    await send(page, "CODE");
    await done(page);
    await lastAnswer(page).getByRole("button", { name: "Copy" }).click();
    await page.waitForFunction(() => document.querySelector(".copy-code")?.textContent === "Copied", null, { timeout: 5_000 });
    expect(await page.evaluate(() => (window as unknown as { copied: string }).copied)).toBe(CODE);
    expect(await page.locator("textarea").count()).toBe(1); // the composer's: the helper is gone
    await page.context().close();
  }, TIMEOUT_MS);

  test("<think>…</think> at the start of the text is the collapsible reasoning block, and is not sent back", async () => {
    const page = await scripted.open();
    await send(page, "THINK");
    await done(page);
    const reasoning = lastAnswer(page).locator("details.reasoning");
    expect(await reasoning.getAttribute("open")).toBeNull();
    await reasoning.locator("summary").click();
    expect(await reasoning.locator(".reasoning-text").textContent()).toBe("Let me ponder.");
    expect(await lastAnswer(page).locator(".markdown").innerHTML()).toBe("<p>The answer is <strong>4</strong>.</p>\n");
    expect(await lastAnswer(page).textContent()).not.toContain("think>");
    await send(page, "TASKS");
    await done(page);
    expect(scripted.seen.at(-1)!.body.messages.map((m) => m.content)).toEqual(["THINK", "The answer is **4**.", "TASKS"]);
    await page.context().close();
  }, TIMEOUT_MS);
});

describe("the page", () => {
  test("the phone drawer closes on Escape and on a tap beside it, focus going back to ☰", async () => {
    const page = await scripted.open("", { viewport: { width: 390, height: 844 } });
    const menu = page.getByRole("button", { name: "Conversations" });
    const nav = page.locator("nav.sidebar");
    // The page re-renders after the event: wait for it.
    const closed = async () => {
      await nav.waitFor({ state: "hidden", timeout: 5_000 });
      await page.waitForFunction(() => document.activeElement?.getAttribute("aria-label") === "Conversations", null, { timeout: 5_000 });
    };
    await menu.click();
    await nav.waitFor({ state: "visible", timeout: 5_000 });
    await page.waitForFunction(() => document.activeElement?.closest("nav") !== null, null, { timeout: 5_000 });
    await page.keyboard.press("Escape");
    await closed();
    expect(await menu.getAttribute("aria-expanded")).toBe("false");
    await menu.click();
    await nav.waitFor({ state: "visible", timeout: 5_000 });
    await page.mouse.click(360, 500);
    await closed();
    await menu.click();
    await nav.locator("button.primary").click(); // a tap inside does not dismiss it first
    await nav.waitFor({ state: "hidden", timeout: 5_000 });
    await page.context().close();
  }, TIMEOUT_MS);

  test("a server without /metrics is asked once; the status strip stays, without the KV figures", async () => {
    const errors: string[] = [];
    const asked = scripted.missingMetricsAsked;
    const page = await scripted.open("", {
      noMetrics: true,
      before: async (p) => {
        p.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
        await p.clock.install();
      },
    });
    const deadline = Date.now() + 5_000;
    while (scripted.missingMetricsAsked === asked && Date.now() < deadline) await Bun.sleep(50);
    for (let i = 0; i < 4; i++) {
      await page.clock.runFor(5_000); // four more polls
      await page.waitForTimeout(200);
    }
    expect(scripted.missingMetricsAsked - asked).toBe(1);
    expect(errors.filter((e) => e.includes("404"))).toHaveLength(1);
    const strip = (await page.locator("footer.status").textContent()) ?? "";
    expect(strip).toContain("Model scripted");
    expect(strip).toContain("Context 256");
    expect(strip).not.toContain("KV cache");
    await page.context().close();
  }, TIMEOUT_MS);
});
