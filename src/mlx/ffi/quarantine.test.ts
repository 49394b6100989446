import { describe, expect, test } from "bun:test";
import { quarantineHint } from "./library.ts";

describe("Gatekeeper's quarantine hint on a failed dlopen", () => {
  const refused = "dlopen(/x/libvmlx.dylib): code signature in <...> not valid for use in process: library load disallowed";

  test("given on macOS for a refused signature or a quarantined file", () => {
    expect(quarantineHint(refused, "darwin")).toContain("xattr -d com.apple.quarantine ");
    expect(quarantineHint("\"libmlx.dylib\" is quarantined", "darwin")).toContain("xattr -d com.apple.quarantine");
  });

  test("not given for other failures, nor off macOS", () => {
    expect(quarantineHint("dlopen(/x/libvmlx.dylib): image not found", "darwin")).toBe("");
    expect(quarantineHint(refused, "linux")).toBe("");
  });
});
