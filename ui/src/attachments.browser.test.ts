/**
 * Image and video attachments in Debian's Chromium against the scripted API (browser-testing.ts): what the page
 * sends, the thumbnails before and after sending, the files it refuses, and what a reload keeps.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { shot } from "../../tests/e2e/ui-harness.ts";
import { composer, type ContentPart, lastAnswer, png, type ScriptedPage, send, startScriptedPage, TIMEOUT_MS } from "./browser-testing.ts";

let scripted: ScriptedPage;

beforeAll(async () => {
  scripted = await startScriptedPage();
}, 120_000);

afterAll(() => scripted?.close());

const RED = png(2, 2, [255, 0, 0]);
const GREEN = png(3, 1, [0, 200, 0]);
const BLUE = png(1, 3, [0, 0, 255]);
const dataUrl = (mime: string, bytes: Buffer) => `data:${mime};base64,${bytes.toString("base64")}`;

const picker = (page: Page) => page.locator('form.composer input[type="file"]');
const pending = (page: Page) => composer(page).locator(".attachments li");
const lastUserContent = () => scripted.seen.at(-1)!.body.messages.filter((m) => m.role === "user").at(-1)!.content;

async function answered(page: Page, count: number): Promise<void> {
  await page.waitForFunction((n) => document.querySelectorAll('article.message.assistant[data-state="done"]').length >= n, count, { timeout: TIMEOUT_MS });
}

/** Hands the page files as a paste into the prompt, or as a drop on the message list. */
async function pasteOrDrop(page: Page, how: "paste" | "drop", files: { name: string; type: string; base64: string }[]): Promise<boolean> {
  return page.evaluate(({ how, files }) => {
    const data = new DataTransfer();
    for (const f of files) data.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
    const event = how === "paste"
      ? new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true })
      : new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true });
    return document.querySelector(how === "paste" ? "#prompt" : ".messages")!.dispatchEvent(event);
  }, { how, files });
}

describe("attachments", () => {
  test("an image picked through the file input is sent as content parts, kept by regenerate and a reload", async () => {
    const page = await scripted.open("vision");
    const attach = page.getByRole("button", { name: "Attach an image", exact: true });
    expect(await attach.isEnabled()).toBe(true);
    expect(await page.locator(".attach-note").count()).toBe(0);
    expect((await picker(page).getAttribute("accept"))!.split(",")).toEqual(expect.arrayContaining(["image/png", "image/jpeg", ".webp"]));
    expect(await picker(page).getAttribute("accept")).not.toContain("video");

    await picker(page).setInputFiles({ name: "red.png", mimeType: "image/png", buffer: RED });
    await pending(page).first().waitFor();
    expect(await pending(page).locator("img").getAttribute("alt")).toBe("red.png");
    await shot(page, "attachments-composer");
    await send(page, "What colour is this?");
    await answered(page, 1);
    const parts = [{ type: "text", text: "What colour is this?" }, { type: "image_url", image_url: { url: dataUrl("image/png", RED) } }];
    expect(lastUserContent()).toEqual(parts);
    expect(await lastAnswer(page).textContent()).toContain("Saw 1 attachments.");
    expect(await pending(page).count()).toBe(0);

    await shot(page, "attachments-sent");
    const sent = page.locator("article.message.user .attachments img");
    expect(await sent.count()).toBe(1);
    expect(await sent.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(2);
    await page.getByRole("button", { name: "Open red.png" }).click();
    const viewer = page.getByRole("dialog", { name: "red.png" });
    expect(await viewer.locator("img").getAttribute("src")).toBe(dataUrl("image/png", RED));
    await shot(page, "attachments-viewer");
    await page.keyboard.press("Escape");
    await viewer.waitFor({ state: "detached" });
    // Focus goes back to the thumbnail that opened it (waited for: the viewer's clean-up runs with the next render).
    await page.waitForFunction(() => document.activeElement?.getAttribute("aria-label") === "Open red.png", null, { timeout: 5000 });

    await lastAnswer(page).getByRole("button", { name: "Regenerate" }).click();
    await answered(page, 1);
    await page.waitForFunction(() => document.querySelector('article.message.assistant[data-state="done"]') !== null);
    expect(lastUserContent()).toEqual(parts);

    await page.reload();
    await page.locator("footer.status").getByText("scripted").waitFor();
    await page.locator("nav").getByRole("button", { name: "What colour is this?", exact: true }).click();
    const kept = page.locator("article.message.user .attachments img");
    await kept.waitFor();
    expect(await kept.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(2);
    expect(await page.locator("article.message.user .bubble").textContent()).toBe("What colour is this?");
    const requests = scripted.seen.length;
    await lastAnswer(page).getByRole("button", { name: "Regenerate" }).click();
    await page.waitForFunction((n) => document.querySelector('article.message.assistant[data-state="streaming"]') === null, null, { timeout: TIMEOUT_MS });
    expect(scripted.seen.length).toBe(requests + 1);
    expect(lastUserContent()).toEqual(parts);
    await page.context().close();
  }, TIMEOUT_MS);

  test("a removed thumbnail is not sent; pasted and dropped images are, in order; edit-and-resend keeps them", async () => {
    const page = await scripted.open("vision");
    await picker(page).setInputFiles([
      { name: "red.png", mimeType: "image/png", buffer: RED },
      { name: "green.png", mimeType: "image/png", buffer: GREEN },
    ]);
    await pending(page).nth(1).waitFor();
    await page.getByRole("button", { name: "Remove red.png" }).click();
    expect(await pending(page).locator("img").evaluateAll((imgs) => imgs.map((i) => i.getAttribute("alt")))).toEqual(["green.png"]);
    // The paste is taken (its default prevented); the drop on the message list too, so the browser does not open the file.
    expect(await pasteOrDrop(page, "paste", [{ name: "", type: "image/png", base64: BLUE.toString("base64") }])).toBe(false);
    await pending(page).nth(1).waitFor();
    expect(await pasteOrDrop(page, "drop", [{ name: "dropped.png", type: "image/png", base64: RED.toString("base64") }])).toBe(false);
    await pending(page).nth(2).waitFor();
    expect(await pending(page).locator("img").evaluateAll((imgs) => imgs.map((i) => i.getAttribute("alt")))).toEqual(["green.png", "pasted image", "dropped.png"]);
    // Attachments alone may be sent.
    expect(await composer(page).getByRole("button", { name: "Send" }).isEnabled()).toBe(true);
    await composer(page).getByRole("button", { name: "Send" }).click();
    await answered(page, 1);
    const images = [GREEN, BLUE, RED].map((b) => ({ type: "image_url", image_url: { url: dataUrl("image/png", b) } }));
    expect(lastUserContent()).toEqual(images);
    expect(await page.locator("nav .conversation").first().textContent()).toBe("green.png");

    await page.locator("article.message.user").getByRole("button", { name: "Edit" }).click();
    await page.locator("article.message.user").getByRole("button", { name: "Remove pasted image" }).click();
    await page.getByLabel("Edit your message").fill("And now?");
    await page.locator("article.message.user").getByRole("button", { name: "Send" }).click();
    await page.waitForFunction(() => document.querySelector("article.message.user .bubble")?.textContent === "And now?");
    await answered(page, 1);
    expect(lastUserContent()).toEqual([{ type: "text", text: "And now?" }, images[0], images[2]] as ContentPart[]);
    expect(await page.locator("article.message.user .attachments img").count()).toBe(2);
    await page.context().close();
  }, TIMEOUT_MS);

  test("an over-size file and a video for an image-only model are refused with a sentence; a video model takes videos", async () => {
    const page = await scripted.open("vision");
    await picker(page).setInputFiles([
      { name: "huge.png", mimeType: "image/png", buffer: Buffer.alloc(21 * 1024 * 1024) },
      { name: "clip.mp4", mimeType: "video/mp4", buffer: Buffer.from("not really a video") },
    ]);
    const alert = composer(page).locator(".attach-problems");
    await alert.waitFor();
    expect(await alert.locator("p").allTextContents()).toEqual([
      '"huge.png" is 21 MB: the limit is 20 MB for a message\'s attachments.',
      '"clip.mp4" is a video: this model takes images only.',
    ]);
    expect(await alert.getAttribute("role")).toBe("alert");
    expect(await pending(page).count()).toBe(0);
    expect(await composer(page).getByRole("button", { name: "Send" }).isDisabled()).toBe(true);
    await page.context().close();

    const videoPage = await scripted.open("vision,video");
    expect(await videoPage.getByRole("button", { name: "Attach an image or video" }).isEnabled()).toBe(true);
    expect(await picker(videoPage).getAttribute("accept")).toContain("video/mp4");
    const clip = Buffer.from("\0\0\0\x20ftypisom not a playable video");
    await picker(videoPage).setInputFiles({ name: "clip.mp4", mimeType: "video/mp4", buffer: clip });
    await pending(videoPage).first().waitFor({ timeout: 10_000 });
    expect(await pending(videoPage).first().getAttribute("data-kind")).toBe("video");
    await send(videoPage, "What happens?");
    await answered(videoPage, 1);
    expect(lastUserContent()).toEqual([{ type: "text", text: "What happens?" }, { type: "video_url", video_url: { url: dataUrl("video/mp4", clip) } }]);
    await videoPage.context().close();
  }, TIMEOUT_MS);

  test("a text-only model keeps the button disabled with its reason, and a dropped file is refused", async () => {
    const page = await scripted.open();
    const attach = page.getByRole("button", { name: "Attach an image or video" });
    expect(await attach.isDisabled()).toBe(true);
    expect(await page.locator(".attach-note").textContent()).toBe("Attachments are off: scripted takes text only (no image or video input).");
    expect(await picker(page).isDisabled()).toBe(true);
    expect(await pasteOrDrop(page, "drop", [{ name: "red.png", type: "image/png", base64: RED.toString("base64") }])).toBe(false);
    expect(await composer(page).locator(".attach-problems").textContent()).toBe("Attachments are off: scripted takes text only (no image or video input).");
    expect(await pending(page).count()).toBe(0);
    await send(page, "TASKS");
    await answered(page, 1);
    expect(lastUserContent()).toBe("TASKS");
    await page.context().close();
  }, TIMEOUT_MS);

  test("an image too large for the browser's storage: the text is saved, and the image as a smaller copy", async () => {
    const page = await scripted.open("vision");
    const noise = png(2000, 2000, "noise"); // about 12 MB: its data URL outgrows localStorage
    await picker(page).setInputFiles({ name: "noise.png", mimeType: "image/png", buffer: noise });
    await pending(page).first().waitFor({ timeout: 20_000 });
    await send(page, "Too big to keep?");
    await page.locator(".banner").getByText("The browser's storage is full: the text is saved, images only as smaller copies").waitFor({ timeout: 10_000 });
    await answered(page, 1);
    expect((lastUserContent() as ContentPart[])[1]!.image_url!.url).toBe(dataUrl("image/png", noise));

    await page.reload();
    await page.locator("footer.status").getByText("scripted").waitFor();
    await page.locator("nav").getByRole("button", { name: "Too big to keep?", exact: true }).click();
    expect(await page.locator("article.message.user .bubble").textContent()).toBe("Too big to keep?");
    const thumb = page.locator("article.message.user .attachments li");
    expect(await thumb.getAttribute("data-saved")).toBe("reduced");
    expect(await thumb.locator(".thumb-note").textContent()).toBe("small copy");
    expect(await thumb.locator("img").evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(768);
    await lastAnswer(page).getByRole("button", { name: "Regenerate" }).click();
    await page.waitForFunction(() => document.querySelector('article.message.assistant[data-state="done"]') !== null, null, { timeout: TIMEOUT_MS });
    expect((lastUserContent() as ContentPart[])[1]!.image_url!.url).toMatch(/^data:image\/jpeg;base64,\/9j\//);
    await page.context().close();
  }, TIMEOUT_MS);
});
