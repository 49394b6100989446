import { expect, test } from "bun:test";
import { isSupportedMime, sniffMime } from "./sniff.ts";
import { gradientImage } from "./testing.ts";

test("sniffMime reads types from the bytes", async () => {
  expect(sniffMime(await gradientImage(4, 3, "png"))).toBe("image/png");
  expect(sniffMime(await gradientImage(4, 3, "jpeg"))).toBe("image/jpeg");
  expect(sniffMime(new TextEncoder().encode("GIF89a......"))).toBe("image/gif");
  expect(sniffMime(new TextEncoder().encode("\0\0\0\x18ftypmp42\0\0\0\0"))).toBe("video/mp4");
  expect(sniffMime(new TextEncoder().encode("\0\0\0\x18ftypavif\0\0\0\0"))).toBe("image/avif");
  expect(sniffMime(new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, ...new TextEncoder().encode("....webm")]))).toBe("video/webm");
  expect(sniffMime(new TextEncoder().encode("%PDF-1.7 ..."))).toBeNull();
  expect(isSupportedMime("image/avif", "image")).toBe(false);
  expect(isSupportedMime("video/mp4", "image")).toBe(false);
  expect(isSupportedMime("video/mp4", "video")).toBe(true);
});
