import { afterEach, describe, expect, test } from "bun:test";
import type { ModelCard } from "./api.ts";
import { acceptList, type Attachment, attachPolicy, checkFile, contentParts, formatBytes, MAX_ATTACHMENT_BYTES, mimeOf, storedCopy, withMime } from "./attachments.ts";
import { type Conversation, loadConversations, saveConversations } from "./store.ts";

const card = (vision: boolean, video: boolean): ModelCard => ({ id: "m", contextLength: null, capabilities: { vision, video } });
const IMAGES = { reason: null, image: true, video: false };
const BOTH = { reason: null, image: true, video: true };
const image: Attachment = {
  id: "a", kind: "image", name: "a.png", mime: "image/png", size: 70, url: "data:image/png;base64,iVBORw0KGgo=", preview: "data:image/jpeg;base64,/9j/",
};
const video: Attachment = { ...image, id: "v", kind: "video", name: "v.mp4", mime: "video/mp4", url: "data:video/mp4;base64,AAAAIGZ0eXA=" };

describe("attachPolicy", () => {
  test("follows the model card's capabilities; text-only and unknown models attach nothing", () => {
    expect(attachPolicy(false, card(true, false))).toEqual({ reason: null, image: true, video: false });
    expect(attachPolicy(false, card(true, true))).toEqual({ reason: null, image: true, video: true });
    expect(attachPolicy(false, card(false, false))).toEqual({ reason: "Attachments are off: m takes text only (no image or video input).", image: false, video: false });
    expect(attachPolicy(true, card(true, true)).reason).toBe("Attachments are off: this chat was started with --text-only.");
    expect(attachPolicy(false, null).reason).toBe("Attachments are off until the server says what its model takes.");
    // A server that does not say (not vllm-mlx): images are offered, not videos.
    expect(attachPolicy(false, { id: "x", contextLength: null, capabilities: null })).toEqual({ reason: null, image: true, video: false });
  });

  test("the picker accepts what the policy allows", () => {
    expect(acceptList(IMAGES).split(",")).toEqual(expect.arrayContaining(["image/png", ".jpg", "image/webp", ".tiff"]));
    expect(acceptList(IMAGES)).not.toContain("video/");
    expect(acceptList(BOTH).split(",")).toEqual(expect.arrayContaining(["video/mp4", ".mov", "video/webm"]));
  });
});

describe("checkFile", () => {
  test("accepts a supported file, typed by the browser or by its extension", () => {
    expect(checkFile({ name: "a.png", type: "image/png", size: 10 }, IMAGES, 0)).toEqual({ kind: "image", mime: "image/png" });
    expect(checkFile({ name: "photo.JPG", type: "", size: 10 }, IMAGES, 0)).toEqual({ kind: "image", mime: "image/jpeg" });
    expect(checkFile({ name: "clip.mov", type: "video/quicktime", size: 10 }, BOTH, 0)).toEqual({ kind: "video", mime: "video/quicktime" });
    expect(mimeOf({ name: "x", type: "image/jpg" })).toBe("image/jpeg");
  });

  test("refuses types the model or the server cannot take, with a sentence naming the file", () => {
    expect(checkFile({ name: "clip.mp4", type: "video/mp4", size: 10 }, IMAGES, 0)).toEqual({ error: '"clip.mp4" is a video: this model takes images only.' });
    expect(checkFile({ name: "p.heic", type: "image/heic", size: 10 }, IMAGES, 0))
      .toEqual({ error: '"p.heic" is of type image/heic: this page sends PNG, JPEG, GIF, WebP, BMP or TIFF images.' });
    expect(checkFile({ name: "notes.txt", type: "text/plain", size: 10 }, BOTH, 0))
      .toEqual({ error: '"notes.txt" is not an image or video: this page sends PNG, JPEG, GIF, WebP, BMP or TIFF images and MP4, MOV, WebM, MKV, AVI or MPEG videos.' });
    expect(checkFile({ name: "a.png", type: "image/png", size: 10 }, attachPolicy(true, null), 0)).toEqual({ error: "Attachments are off: this chat was started with --text-only." });
    expect(checkFile({ name: "a.png", type: "image/png", size: 0 }, IMAGES, 0)).toEqual({ error: '"a.png" is empty.' });
  });

  test("holds a message's attachments to 20 MB together", () => {
    expect(MAX_ATTACHMENT_BYTES).toBe(20 * 1024 * 1024);
    expect(checkFile({ name: "big.png", type: "image/png", size: 25 * 1024 * 1024 }, IMAGES, 0))
      .toEqual({ error: '"big.png" is 25 MB: the limit is 20 MB for a message\'s attachments.' });
    expect(checkFile({ name: "b.png", type: "image/png", size: 12 * 1024 * 1024 }, IMAGES, 9 * 1024 * 1024))
      .toEqual({ error: '"b.png" (12 MB) would take this message\'s attachments past the 20 MB limit.' });
    expect(checkFile({ name: "c.png", type: "image/png", size: MAX_ATTACHMENT_BYTES }, IMAGES, 0)).toEqual({ kind: "image", mime: "image/png" });
    expect([formatBytes(300), formatBytes(312 * 1024), formatBytes(1536 * 1024), formatBytes(15.4 * 1024 * 1024)]).toEqual(["300 B", "312 KB", "1.5 MB", "15 MB"]);
  });
});

describe("contentParts", () => {
  test("text alone stays a string; attachments make OpenAI content parts, the text first", () => {
    expect(contentParts("hi", [])).toBe("hi");
    expect(contentParts("What is this?", [image, video])).toEqual([
      { type: "text", text: "What is this?" },
      { type: "image_url", image_url: { url: image.url } },
      { type: "video_url", video_url: { url: video.url } },
    ]);
    expect(contentParts("  ", [image])).toEqual([{ type: "image_url", image_url: { url: image.url } }]);
    // An attachment whose saved copy was not kept is not sent.
    expect(contentParts("hi", [storedCopy(image, "dropped")])).toBe("hi");
  });

  test("withMime sets the declared type of a data URL", () => {
    expect(withMime("data:application/octet-stream;base64,AAAA", "image/png")).toBe("data:image/png;base64,AAAA");
    expect(withMime("data:image/png;base64,AAAA", "image/png")).toBe("data:image/png;base64,AAAA");
  });
});

describe("saveConversations when the storage is full", () => {
  const original = globalThis.localStorage;
  afterEach(() => { Object.defineProperty(globalThis, "localStorage", { value: original, configurable: true }); });

  /** A localStorage that refuses values longer than `quota` characters. */
  function storage(quota: number): Map<string, string> {
    const items = new Map<string, string>();
    Object.defineProperty(globalThis, "localStorage", {
      configurable: true,
      value: {
        getItem: (k: string) => items.get(k) ?? null,
        setItem: (k: string, v: string) => { if (v.length > quota) throw new DOMException("full", "QuotaExceededError"); items.set(k, v); },
      },
    });
    return items;
  }
  const big = { ...image, url: `data:image/png;base64,${"A".repeat(8000)}`, preview: `data:image/jpeg;base64,${"B".repeat(1500)}` };
  const conversation = (attachments: Attachment[]): Conversation => ({
    id: "c", title: "t", updatedAt: 1, settings: { systemPrompt: "", temperature: 1, topP: 1, maxTokens: 10 },
    messages: [{ id: "m", role: "user", content: "the text", attachments }],
  });

  test("keeps everything when it fits", () => {
    storage(100_000);
    expect(saveConversations([conversation([big, video])])).toBe("saved");
    expect(loadConversations()[0]!.messages[0]!.attachments).toEqual([big, video]);
  });

  test("keeps images as their small copies, then drops the files, and never the text", () => {
    storage(5000);
    expect(saveConversations([conversation([big, video])])).toBe("attachments-reduced");
    const [img, vid] = loadConversations()[0]!.messages[0]!.attachments!;
    expect(img).toEqual({ ...big, url: big.preview!, saved: "reduced" });
    expect(vid).toEqual({ ...video, url: "", saved: "dropped" });
    storage(1500);
    expect(saveConversations([conversation([big, video])])).toBe("attachments-dropped");
    const saved = loadConversations()[0]!.messages[0]!;
    expect(saved.content).toBe("the text");
    expect(saved.attachments!.map((a) => [a.url, a.preview, a.saved])).toEqual([["", null, "dropped"], ["", null, "dropped"]]);
    storage(10);
    expect(saveConversations([conversation([big])])).toBe("failed");
  });
});
