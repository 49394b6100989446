import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./paths.ts";
import { lockEntry, sharpNative, sharpNativeAt } from "./sharp-native.ts";

const lock = readFileSync(join(REPO_ROOT, "bun.lock"), "utf8");
const sharpVersion = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> })
  .dependencies.sharp!;

describe("sharp's native pair", () => {
  test("bun.lock pins the darwin-arm64 addon at package.json's sharp, with its sha512", () => {
    const e = lockEntry(lock, "@img/sharp-darwin-arm64");
    expect(e.version).toBe(sharpVersion);
    expect(e.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
    expect(lockEntry(lock, "@img/sharp-libvips-darwin-arm64").version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(() => lockEntry(lock, "@img/sharp-nonexistent-os")).toThrow("bun.lock has no entry for @img/sharp-nonexistent-os");
  });

  test("the host's pair is node_modules', in the layout its RPATH expects", async () => {
    const host = `${process.platform}-${process.arch}`;
    const pair = await sharpNative(host);
    expect(pair.root).toBe(join(REPO_ROOT, "node_modules"));
    expect(pair.addon).toBe(`@img/sharp-${host}/lib/sharp-${host}-${sharpVersion}.node`);
    expect(pair.libvips).toMatch(new RegExp(`^@img/sharp-libvips-${host}/lib/libvips-cpp\\.`));
    expect(() => sharpNativeAt(join(REPO_ROOT, "src"), host)).toThrow(/expected one addon in .*src\/@img\/sharp-/);
  });
});
