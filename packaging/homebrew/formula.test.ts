/** The formula generator and reader, and Ruby's syntax check of what the generator writes. */
import { describe, expect, test } from "bun:test";
import { homebrewFormula, macosSymbol, readFormula, rubySyntaxCheck } from "./formula.ts";

const SHA = "ab".repeat(32);
const INPUT = {
  version: "1.2.3",
  url: "https://example.com/releases/v1.2.3/vllm-mlx-1.2.3-darwin-arm64.tar.gz",
  sha256: SHA,
  homepage: "https://example.com/vllm-mlx",
  macosMin: "14.0",
};

describe("Homebrew formula", () => {
  test("reads back every field it was written with", () => {
    expect(readFormula(homebrewFormula(INPUT))).toEqual({
      className: "VllmMlx",
      url: INPUT.url,
      sha256: SHA,
      arch: "arm64",
      macos: "sonoma",
      binInstall: "vllm-mlx",
      serviceRun: 'opt_bin/"vllm-mlx", "serve"',
      testCommands: ["vllm-mlx --version", "vllm-mlx doctor"],
    });
  });

  test("macOS floors map to Homebrew's names, and an unknown one throws", () => {
    expect(macosSymbol("14.0")).toBe("sonoma");
    expect(macosSymbol("15.4")).toBe("sequoia");
    expect(() => macosSymbol("12.0")).toThrow("no Homebrew name");
  });

  test("ruby -c accepts it and rejects a broken copy", () => {
    const good = rubySyntaxCheck(homebrewFormula(INPUT));
    expect(good.out.trim()).toBe("Syntax OK");
    expect(good.code).toBe(0);
    const broken = rubySyntaxCheck(homebrewFormula(INPUT).replace(/\n {2}end\n\n {2}service do/, "\n\n  service do"));
    expect(broken.code).not.toBe(0);
  });
});
