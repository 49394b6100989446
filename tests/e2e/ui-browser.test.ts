/**
 * The chat UI in a real browser: Debian's Chromium, headless, driven by playwright-core, against the compiled
 * binary serving a SCRIPTED thinking model (answers "Hello there!" after a reasoning span) and a random-weight
 * fixture model behind an API key (long answers, for streaming and stop). Screenshots of each state go to
 * artifacts/ui/ (git-ignored), with the first paint and the axe-core report. Timings are reported, never asserted.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { writeFixtureModel } from "../../src/engine/frontend/testing/fixture-model.ts";
import { type ScriptedModel, THINKING_SCRIPT, writeScriptedModel } from "../../src/engine/frontend/testing/scripted-model.ts";
import { BINARY, type RunningServer, startServer } from "./scripted-harness.ts";
import { axeViolations, launchChromium, report, shot } from "./ui-harness.ts";

const KEY = "sk-ui-browser-test-7f3a";
const TEST_TIMEOUT_MS = 120_000;
let thinkingModel: ScriptedModel;
let fixtureDir = "";
let thinking: RunningServer;
let keyed: RunningServer;
let browser: Browser;

beforeAll(async () => {
  thinkingModel = writeScriptedModel(THINKING_SCRIPT);
  fixtureDir = writeFixtureModel();
  [thinking, keyed, browser] = await Promise.all([
    startServer(thinkingModel.dir, "thinking", ["--max-cache-blocks", "256"]),
    startServer(fixtureDir, "fixture", ["--max-cache-blocks", "256", "--api-key", KEY], KEY),
    launchChromium(),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([thinking?.stop(), keyed?.stop()]);
  if (thinkingModel) rmSync(thinkingModel.dir, { recursive: true, force: true });
  if (fixtureDir) rmSync(fixtureDir, { recursive: true, force: true });
});

const lastAnswer = (page: Page) => page.locator("article.message.assistant").last();

/** The little of the DOM the in-page checks use (the test program has no DOM types). */
interface InPage {
  document: {
    querySelectorAll(selector: string): ArrayLike<{
      dataset: Record<string, string | undefined>;
      querySelector(selector: string): { textContent: string | null } | null;
    }>;
  };
}

/** Waits until the last answer is streaming and its text is longer than `min` characters. */
function streamingLongerThan(page: Page, min: number): Promise<unknown> {
  // A function, not source text: the page's CSP forbids eval, which waitForFunction would need for a string.
  return page.waitForFunction((least) => {
    const answers = Array.from((globalThis as unknown as InPage).document.querySelectorAll("article.message.assistant"));
    const a = answers.at(-1);
    return a?.dataset.state === "streaming" && (a.querySelector(".markdown")?.textContent?.length ?? 0) > least;
  }, min, { timeout: 60_000 });
}

async function setMaxTokens(page: Page, n: number): Promise<void> {
  const settings = page.getByRole("button", { name: "Settings" });
  if ((await settings.getAttribute("aria-expanded")) !== "true") await settings.click();
  await page.getByLabel("Max tokens").fill(String(n));
  await page.getByLabel("Max tokens").blur();
  await settings.click();
}

async function send(page: Page, text: string): Promise<void> {
  await page.locator("#prompt").fill(text);
  await page.locator("form.composer").getByRole("button", { name: "Send" }).click();
}

async function metric(server: RunningServer, name: string, key?: string): Promise<number> {
  const res = await fetch(`${server.base}/metrics`, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
  const line = (await res.text()).split("\n").find((l) => l.startsWith(`${name} `));
  return Number(line?.split(" ")[1] ?? Number.NaN);
}

describe("chat UI against a server with an API key (random-weight model)", () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
  }, TEST_TIMEOUT_MS);
  afterAll(() => context?.close());

  test("asks for the key, says when it is wrong, and never logs it", async () => {
    await page.goto(keyed.base);
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain("This server needs an API key");
    await shot(page, "api-key-prompt");
    await page.locator("#api-key").fill("not-the-key");
    await dialog.getByRole("button", { name: "Use this key" }).click();
    await page.getByText("The server did not accept that key.").waitFor();
    await page.locator("#api-key").fill(KEY);
    await dialog.getByRole("button", { name: "Use this key" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.locator("footer.status").getByText("fixture").waitFor();
    expect(keyed.logs()).not.toContain(KEY);
  }, TEST_TIMEOUT_MS);

  test("a message's answer streams in, growing in several steps", async () => {
    await setMaxTokens(page, 300);
    // In-page code is passed as source text: the test program has no DOM types.
    await page.evaluate(`(() => {
      window.lengths = [];
      new MutationObserver(() => {
        const answer = [...document.querySelectorAll("article.message.assistant")].at(-1);
        if (answer?.dataset.state === "streaming") window.lengths.push(answer.textContent.length);
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    })()`);
    await send(page, "Tell me a long story.");
    await streamingLongerThan(page, 0).then(() => shot(page, "streaming"), () => undefined);
    await page.locator('article.message.assistant[data-state="done"]').waitFor({ timeout: 90_000 });
    const lengths = (await page.evaluate("window.lengths")) as number[];
    expect(new Set(lengths.filter((n) => n > 0)).size).toBeGreaterThanOrEqual(3);
    expect(await lastAnswer(page).locator(".stats").textContent()).toMatch(/\d+ tokens · TTFT \d+ ms/);
    await page.locator("footer.status").getByText(/Last answer [\d.]+ tok\/s/).waitFor();
  }, TEST_TIMEOUT_MS);

  test("stop ends the answer mid-stream, in the page and on the server", async () => {
    await setMaxTokens(page, 3000);
    await send(page, "And another, much longer.");
    await streamingLongerThan(page, 40);
    await page.getByRole("button", { name: "Stop" }).click();
    await page.locator('article.message.assistant[data-state="stopped"]').waitFor();
    const before = await lastAnswer(page).locator(".markdown").textContent();
    await page.waitForTimeout(1000);
    expect(await lastAnswer(page).locator(".markdown").textContent()).toBe(before);
    expect(await lastAnswer(page).getByText("Stopped").isVisible()).toBe(true);
    await shot(page, "stopped");
    const deadline = Date.now() + 15_000;
    while ((await metric(keyed, "vllm_mlx_num_requests_running", KEY)) !== 0 && Date.now() < deadline) await Bun.sleep(100);
    expect(await metric(keyed, "vllm_mlx_num_requests_running", KEY)).toBe(0);
    expect(await page.locator("form.composer").getByRole("button", { name: "Send" }).isVisible()).toBe(true);
  }, TEST_TIMEOUT_MS);

  test("a request the server refuses shows its reason in words", async () => {
    await setMaxTokens(page, 100_000_000);
    await send(page, "This asks for far too many tokens.");
    const error = lastAnswer(page).locator("p.error");
    await error.waitFor();
    const text = (await error.textContent()) ?? "";
    expect(text).toStartWith("The answer failed: ");
    expect(text).toContain("max_tokens");
    expect(text).toContain("(HTTP 400 ");
    expect(await lastAnswer(page).getAttribute("data-state")).toBe("error");
    await shot(page, "server-error");
  }, TEST_TIMEOUT_MS);
});

describe("chat UI against the scripted thinking model", () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
  }, TEST_TIMEOUT_MS);
  afterAll(() => context?.close());

  test("the answer is rendered, its reasoning in a collapsed block", async () => {
    await page.goto(thinking.base);
    await page.locator("footer.status").getByText("thinking").waitFor();
    await send(page, "Hi");
    await page.locator('article.message.assistant[data-state="done"]').waitFor({ timeout: 60_000 });
    expect((await lastAnswer(page).locator(".markdown").textContent())?.trim()).toBe("Hello there!");
    const reasoning = lastAnswer(page).locator("details.reasoning");
    expect(await reasoning.getAttribute("open")).toBeNull();
    await reasoning.locator("summary").click();
    expect(await reasoning.locator(".reasoning-text").textContent()).toContain("The user wants a greeting.");
    await shot(page, "answer");
  }, TEST_TIMEOUT_MS);

  test("regenerate asks the server again and replaces the answer", async () => {
    const promptTokens = await metric(thinking, "vllm_mlx_prompt_tokens_total");
    await lastAnswer(page).evaluate((el) => el.setAttribute("data-old", "1"));
    await lastAnswer(page).getByRole("button", { name: "Regenerate" }).click();
    await page.locator('article.message.assistant[data-state="done"]:not([data-old])').waitFor({ timeout: 60_000 });
    expect(await page.locator("article.message").count()).toBe(2);
    expect((await lastAnswer(page).locator(".markdown").textContent())?.trim()).toBe("Hello there!");
    expect(await metric(thinking, "vllm_mlx_prompt_tokens_total")).toBeGreaterThan(promptTokens);
  }, TEST_TIMEOUT_MS);

  test("edit and resend replaces the question and its answer", async () => {
    await page.locator("article.message.user").getByRole("button", { name: "Edit" }).click();
    await page.getByLabel("Edit your message").fill("Hello again");
    await lastAnswer(page).evaluate((el) => el.setAttribute("data-old", "1"));
    await page.locator("form.edit").getByRole("button", { name: "Send" }).click();
    await page.locator('article.message.assistant[data-state="done"]:not([data-old])').waitFor({ timeout: 60_000 });
    expect(await page.locator("article.message").count()).toBe(2);
    expect(await page.locator("article.message.user .bubble").textContent()).toBe("Hello again");
  }, TEST_TIMEOUT_MS);

  test("attachments are disabled and the page says why", async () => {
    const attach = page.getByRole("button", { name: "Attach an image or video" });
    expect(await attach.isDisabled()).toBe(true);
    expect(await page.locator(".attach-note").textContent()).toBe("Attachments are off: thinking takes text only (no image or video input).");
    await shot(page, "attachments-disabled");
  }, TEST_TIMEOUT_MS);

  test("after a reload the conversation is still there", async () => {
    await page.getByRole("button", { name: "New chat" }).click();
    expect(await page.locator("article.message").count()).toBe(0);
    await page.reload();
    const saved = page.locator("nav").getByRole("button", { name: "Hello again", exact: true });
    await saved.click();
    expect(await page.locator("article.message.user .bubble").textContent()).toBe("Hello again");
    expect((await lastAnswer(page).locator(".markdown").textContent())?.trim()).toBe("Hello there!");
    await shot(page, "after-reload");
  }, TEST_TIMEOUT_MS);

  test("first paint of a fresh page is reported", async () => {
    const fresh = await context.newPage();
    await fresh.goto(thinking.base, { waitUntil: "load" });
    await fresh.locator("footer.status").getByText("thinking").waitFor();
    const paints = (await fresh.evaluate(
      'Object.fromEntries(performance.getEntriesByType("paint").map((e) => [e.name, e.startTime]))')) as Record<string, number>;
    const nav = (await fresh.evaluate('performance.getEntriesByType("navigation")[0].toJSON()')) as
      { domContentLoadedEventEnd: number; loadEventEnd: number };
    expect(paints["first-contentful-paint"]).toBeGreaterThan(0);
    report("first-paint", { firstPaintMs: paints["first-paint"], firstContentfulPaintMs: paints["first-contentful-paint"],
      domContentLoadedMs: nav.domContentLoadedEventEnd, loadMs: nav.loadEventEnd });
    console.log(`ui: first paint ${paints["first-paint"]?.toFixed(0)} ms, first contentful paint ${paints["first-contentful-paint"]?.toFixed(0)} ms`);
    await fresh.close();
  }, TEST_TIMEOUT_MS);
});

describe("chat UI layout and accessibility", () => {
  test("axe-core finds no serious or critical violation on the main page", async () => {
    // bypassCSP lets axe-core's script in; the page's own policy allows no inline script.
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(thinking.base);
    await page.locator("footer.status").getByText("thinking").waitFor();
    const violations = await axeViolations(page);
    report("axe", violations);
    expect(violations.filter((v) => v.impact === "serious" || v.impact === "critical")).toEqual([]);
    await context.close();
  }, TEST_TIMEOUT_MS);

  test("at phone width the conversations are a drawer and the composer fits; dark theme follows the system", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: "dark", isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await page.goto(thinking.base);
    await page.locator("footer.status").getByText("thinking").waitFor();
    expect(await page.locator("nav.sidebar").isVisible()).toBe(false);
    const composer = await page.locator("form.composer").boundingBox();
    expect(composer!.x).toBeGreaterThanOrEqual(0);
    expect(composer!.x + composer!.width).toBeLessThanOrEqual(390);
    const background = await page.evaluate("getComputedStyle(document.body).backgroundColor");
    expect(background).toBe("rgb(21, 23, 27)");
    await send(page, "Hi");
    await page.locator('article.message.assistant[data-state="done"]').waitFor({ timeout: 60_000 });
    await shot(page, "phone-dark");
    await page.getByRole("button", { name: "Conversations" }).click();
    expect(await page.locator("nav.sidebar").isVisible()).toBe(true);
    await shot(page, "phone-drawer");
    await context.close();
  }, TEST_TIMEOUT_MS);
});

describe("vllm-mlx chat --server-url (the UI through the local proxy)", () => {
  test("the page loads from the proxy, answers come from the other server, --text-only is said", async () => {
    const probe = Bun.serve({ port: 0, fetch: () => new Response() });
    const port = probe.port!;
    probe.stop(true);
    const chat = Bun.spawn([BINARY, "chat", "--server-url", `${thinking.base}/v1`, "--port", String(port), "--text-only"], {
      env: { PATH: "/usr/bin:/bin", HOME: "/nonexistent", NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe",
    });
    const context = await browser.newContext();
    try {
      const base = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 30_000;
      while (!(await fetch(`${base}/ui/config.json`).then((r) => r.ok, () => false))) {
        if (Date.now() > deadline || chat.exitCode !== null) throw new Error("vllm-mlx chat did not start");
        await Bun.sleep(100);
      }
      const page = await context.newPage();
      await page.goto(base);
      await page.locator("footer.status").getByText("thinking").waitFor();
      expect(await page.locator(".attach-note").textContent()).toBe("Attachments are off: this chat was started with --text-only.");
      expect(await page.getByRole("button", { name: "Settings" }).click().then(() => page.getByLabel("Max tokens").inputValue())).toBe("2048");
      await send(page, "Hi");
      await page.locator('article.message.assistant[data-state="done"]').waitFor({ timeout: 60_000 });
      expect((await lastAnswer(page).locator(".markdown").textContent())?.trim()).toBe("Hello there!");
      await shot(page, "chat-proxy");
    } finally {
      await context.close();
      chat.kill("SIGTERM");
      await chat.exited;
    }
  }, TEST_TIMEOUT_MS);
});
