/**
 * The chat page in Debian's Chromium (playwright-core, as tests/e2e/ui-browser.test.ts) against a scripted
 * OpenAI-compatible API (browser-testing.ts) served beside the freshly built page: the streams are slow and fixed,
 * and the server records what the page asked. Regression tests for how the page behaves around a streaming answer.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { CONTEXT_LENGTH, composer, lastAnswer, type ScriptedPage, send, serverSawAbort, startScriptedPage, TIMEOUT_MS } from "./browser-testing.ts";

const done = (page: Page) => page.locator('article.message.assistant[data-state="done"]').last().waitFor({ timeout: TIMEOUT_MS });
const failed = (page: Page) => page.locator('article.message.assistant[data-state="error"]').waitFor({ timeout: TIMEOUT_MS });

let scripted: ScriptedPage;
const open = () => scripted.open();

beforeAll(async () => {
  scripted = await startScriptedPage();
}, 120_000);

afterAll(() => scripted?.close());

/** Waits until the last answer is streaming and has at least `lines` of its lines. */
function streamedLines(page: Page, lines: number): Promise<unknown> {
  return page.waitForFunction((n) => {
    const answer = [...document.querySelectorAll("article.message.assistant")].at(-1);
    return answer?.getAttribute("data-state") === "streaming" && answer.querySelectorAll(".markdown p").length >= n;
  }, lines, { timeout: TIMEOUT_MS });
}

describe("the chat page around a streaming answer", () => {
  test("Stop ends the answer and leaves the draft being typed unsent", async () => {
    const page = await open();
    await send(page, "Tell me something long.");
    await streamedLines(page, 3);
    await page.locator("#prompt").fill("a draft for later");
    const requests = scripted.seen.length;
    await composer(page).getByRole("button", { name: "Stop" }).click();
    await page.locator('article.message.assistant[data-state="stopped"]').waitFor();
    await page.waitForTimeout(300);
    expect(scripted.seen.length).toBe(requests);
    expect(await page.locator("article.message.user .bubble").allTextContents()).toEqual(["Tell me something long."]);
    expect(await page.locator("#prompt").inputValue()).toBe("a draft for later");
    expect(await page.locator("article.message.assistant").count()).toBe(1);
    await page.context().close();
  }, TIMEOUT_MS);

  test("the default max tokens is left out when it does not fit the model's context; a chosen value is sent", async () => {
    const page = await open();
    expect(await page.getByRole("button", { name: "Settings" }).click().then(() => page.getByLabel("Max tokens").inputValue())).toBe("2048");
    await send(page, "TASKS");
    await page.locator('article.message.assistant[data-state="done"]').waitFor({ timeout: TIMEOUT_MS });
    expect(scripted.seen.at(-1)!.body.max_tokens).toBeUndefined();
    await page.getByLabel("Max tokens").fill("100");
    await page.getByLabel("Max tokens").blur();
    await lastAnswer(page).evaluate((el) => el.setAttribute("data-old", "1"));
    await lastAnswer(page).getByRole("button", { name: "Regenerate" }).click();
    await page.locator('article.message.assistant[data-state="done"]:not([data-old])').waitFor({ timeout: TIMEOUT_MS });
    expect(scripted.seen.at(-1)!.body.max_tokens).toBe(100);
    await page.getByLabel("Max tokens").fill("1000");
    await page.getByLabel("Max tokens").blur();
    await lastAnswer(page).getByRole("button", { name: "Regenerate" }).click();
    await page.locator('article.message.assistant[data-state="error"]').waitFor({ timeout: TIMEOUT_MS });
    expect(scripted.seen.at(-1)!.body.max_tokens).toBe(1000);
    expect(await lastAnswer(page).locator("p.error").textContent()).toContain(`maximum context length is ${CONTEXT_LENGTH} tokens`);
    await page.context().close();
  }, TIMEOUT_MS);

  test("a task list's checkboxes sit on the line of their text", async () => {
    const page = await open();
    await send(page, "TASKS");
    await page.locator('article.message.assistant[data-state="done"]').waitFor({ timeout: TIMEOUT_MS });
    const items = lastAnswer(page).locator("li");
    expect(await items.count()).toBe(2);
    for (const item of await items.all()) {
      const box = (await item.locator('input[type="checkbox"]').boundingBox())!;
      const line = (await item.boundingBox())!;
      expect(box.width).toBeLessThan(30);
      expect(box.x - line.x).toBeLessThan(10);
      expect(line.height).toBeLessThan(40);
    }
    expect(await items.first().evaluate((el) => getComputedStyle(el).listStyleType)).toBe("none");
    await page.context().close();
  }, TIMEOUT_MS);

  test("sending while scrolled up shows the new question and its answer", async () => {
    const page = await open();
    await send(page, "First long one.");
    await streamedLines(page, 60);
    await composer(page).getByRole("button", { name: "Stop" }).click();
    await page.locator('article.message.assistant[data-state="stopped"]').waitFor();
    await page.locator(".messages").evaluate((el) => el.scrollTo(0, 0));
    await page.waitForTimeout(200);
    await send(page, "Second question.");
    await streamedLines(page, 2);
    const question = (await page.locator("article.message.user").last().boundingBox())!;
    expect(question.y).toBeGreaterThanOrEqual(0);
    expect(question.y).toBeLessThan(800);
    const gap = await page.locator(".messages").evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
    expect(gap).toBeLessThan(48);
    await composer(page).getByRole("button", { name: "Stop" }).click();
    await page.context().close();
  }, TIMEOUT_MS);

  test("a reload mid-answer keeps the new conversation, its answer so far marked stopped", async () => {
    const page = await open();
    await send(page, "Kept across a reload?");
    await streamedLines(page, 50);
    await page.reload();
    await page.locator("footer.status").getByText("scripted").waitFor();
    await page.locator("nav").getByRole("button", { name: "Kept across a reload?", exact: true }).click();
    expect(await page.locator("article.message.user .bubble").allTextContents()).toEqual(["Kept across a reload?"]);
    expect(await lastAnswer(page).getAttribute("data-state")).toBe("stopped");
    expect(await lastAnswer(page).locator(".markdown p").first().textContent()).toBe("Line 1 of a long answer.");
    await page.context().close();
  }, TIMEOUT_MS);

  test("deleting the conversation whose answer streams stops that answer", async () => {
    const page = await open();
    await send(page, "Delete me while answering.");
    await streamedLines(page, 3);
    const record = scripted.seen.at(-1)!;
    await page.getByRole("button", { name: 'Delete "Delete me while answering."' }).click();
    await composer(page).getByRole("button", { name: "Send" }).waitFor({ timeout: 5_000 });
    expect(await serverSawAbort(record)).toBe(true);
    expect(record.finished).toBe(false);
    expect(await page.locator("nav .conversation").allTextContents()).not.toContain("Delete me while answering.");
    await page.context().close();
  }, TIMEOUT_MS);

  test("while one conversation's answer streams, another says where and offers Go there and Stop it; no Stop of its own", async () => {
    const page = await open();
    await send(page, "Tell me something long.");
    await streamedLines(page, 3);
    const record = scripted.seen.at(-1)!;
    await page.locator("nav button.primary").click();
    const note = composer(page).locator(".elsewhere");
    expect(await note.locator("span").textContent()).toBe('An answer is being written in "Tell me something long."; send once it is done.');
    expect(await composer(page).getByRole("button", { name: "Stop", exact: true }).count()).toBe(0);
    expect(await composer(page).getByRole("button", { name: "Send" }).isDisabled()).toBe(true);
    await send(page, "Meanwhile?");
    await page.waitForTimeout(200);
    expect(scripted.seen.at(-1)).toBe(record);
    expect(await page.locator("#prompt").inputValue()).toBe("Meanwhile?");

    await note.getByRole("button", { name: "Go there" }).click();
    expect(await page.locator(".topbar h1").textContent()).toBe("Tell me something long.");
    expect(await composer(page).locator(".elsewhere").count()).toBe(0);
    expect(await composer(page).getByRole("button", { name: "Stop", exact: true }).isVisible()).toBe(true);
    await page.locator("nav button.primary").click();
    await composer(page).getByRole("button", { name: "Stop it" }).click();
    await composer(page).getByRole("button", { name: "Send" }).waitFor({ timeout: 5_000 });
    expect(await serverSawAbort(record)).toBe(true);
    expect(await composer(page).locator(".elsewhere").count()).toBe(0);
    await page.locator("#prompt").press("Enter");
    await streamedLines(page, 1);
    expect(scripted.seen.at(-1)!.body.messages).toEqual([{ role: "user", content: "Meanwhile?" }]);
    await composer(page).getByRole("button", { name: "Stop", exact: true }).click();
    await page.context().close();
  }, TIMEOUT_MS);

  test("a proxy's HTML error page is said in words; Retry resends the question once", async () => {
    const page = await open();
    await send(page, "FLAKY");
    await failed(page);
    expect(await lastAnswer(page).locator("p.error").textContent()).toBe("The answer failed: The server answered HTTP 502 Bad Gateway.");
    await lastAnswer(page).getByRole("button", { name: "Retry" }).click();
    await done(page);
    expect(scripted.seen.at(-1)!.body.messages).toEqual([{ role: "user", content: "FLAKY" }]);
    expect(await page.locator("article.message").count()).toBe(2);
    expect((await lastAnswer(page).locator(".markdown").textContent())?.trim()).toBe("Recovered.");
    expect(await lastAnswer(page).getByRole("button", { name: "Regenerate" }).isVisible()).toBe(true);
    await page.context().close();
  }, TIMEOUT_MS);

  test("a new message after a failed answer takes the failed question's place", async () => {
    const page = await open();
    await send(page, "FAIL");
    await failed(page);
    expect(await lastAnswer(page).locator(".failed-turn").textContent()).toBe("Or send a new message: it takes this question's place.");
    await send(page, "TASKS");
    await done(page);
    expect(scripted.seen.at(-1)!.body.messages).toEqual([{ role: "user", content: "TASKS" }]);
    expect(await page.locator("article.message.user .bubble").allTextContents()).toEqual(["TASKS"]);
    expect(await page.locator(".topbar h1").textContent()).toBe("TASKS");
    await send(page, "FAIL");
    await failed(page);
    await send(page, "CODE");
    await done(page);
    expect(scripted.seen.at(-1)!.body.messages.map((m) => m.content)).toEqual(["TASKS", expect.stringContaining("open task"), "CODE"]);
    expect(await page.locator("article.message.user .bubble").allTextContents()).toEqual(["TASKS", "CODE"]);
    await page.context().close();
  }, TIMEOUT_MS);
});
