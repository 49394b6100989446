/**
 * The darwin-arm64 build, checked structurally (scripts/darwin/check_macho.py), and evidence that each check
 * fails when its property is broken. Needs `bun run build --target darwin-arm64` first; scripts/test.sh runs it
 * after `bun run release`:
 *   bun test ./scripts/darwin/darwin.check.ts
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { DARWIN_BINARY, type DarwinCheckConfig, darwinCheckConfig, runDarwinChecks } from "./check.ts";
import { darwinToolchain } from "./native.ts";

let toolchain = "";
let config: DarwinCheckConfig;
let scratch = "";

beforeAll(() => {
  if (!existsSync(DARWIN_BINARY)) throw new Error(`${DARWIN_BINARY} is missing: run bun run build --target darwin-arm64`);
  toolchain = darwinToolchain();
  config = darwinCheckConfig(toolchain);
  [addon, libvips] = [base(config.sharp.addon), base(config.sharp.libvips)];
  scratch = mkdtempSync(join(os.tmpdir(), "darwin-check-test-"));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The dylibs copied into a scratch folder, `change` applied to libvmlx.dylib's bytes. */
function libDirWith(name: string, change: (bytes: Buffer) => void): string {
  const dir = join(scratch, name);
  rmSync(dir, { recursive: true, force: true });
  Bun.spawnSync(["mkdir", "-p", dir]);
  for (const f of config.dylibs) copyFileSync(join(config.libDir, f), join(dir, f));
  const lib = join(dir, "libvmlx.dylib");
  const bytes = readFileSync(lib);
  change(bytes);
  writeFileSync(lib, bytes);
  return dir;
}

const base = (rel: string) => rel.split("/").pop()!;
let addon = "";
let libvips = "";
const failedLines = (report: string) => report.split("\n").filter((l) => l.startsWith("FAIL"));

describe("dist/vllm-mlx-darwin-arm64 and its dylibs", () => {
  test("every structural check passes", () => {
    const r = runDarwinChecks(config, toolchain);
    expect(failedLines(r.report)).toEqual([]);
    expect(r.code).toBe(0);
    // The report covers each property the checks promise.
    for (const line of [
      "libvmlx.dylib: install name @rpath/libvmlx.dylib",
      "libvmlx.dylib: LC_RPATH exactly @loader_path",
      "libvmlx.dylib: macOS minos 14.0 (= 14.0)",
      "libmlx.dylib: macOS minos 14.0 (= 14.0)",
      "libvmlx.dylib: defines none of libc++'s symbols (no static libc++)",
      "vllm-mlx-darwin-arm64: carries mlx.metallib",
      // sharp's pair: the addon finds libvips inside the layout the binary unpacks, both run on the floor.
      `${addon}: @rpath/${libvips} resolves inside the unpacked layout to @img/sharp-libvips-darwin-arm64/lib/${libvips}`,
      `${addon}: loads ${libvips}`,
      `${addon}: BUNDLE`,
      `${libvips}: install name @rpath/${libvips}`,
      `vllm-mlx-darwin-arm64: carries ${addon}`,
      `vllm-mlx-darwin-arm64: carries ${libvips}`,
      `vllm-mlx-darwin-arm64: its bundle names sharp/${config.sharp.addon}`,
      "vllm-mlx-darwin-arm64: its bundle names @img/sharp-darwin-arm64/sharp.node",
    ]) expect(r.report).toContain(line);
    for (const name of [addon, libvips]) {
      expect(r.report).toMatch(new RegExp(`ok {3}${name.replace(/\./g, "\\.")}: arm64`));
      expect(r.report).toMatch(new RegExp(`ok {3}${name.replace(/\./g, "\\.")}: macOS minos 1[1-4]\\.\\d+ \\(<= 14\\.0\\)`));
    }
    expect(r.report).toMatch(/libvmlx\.dylib: every imported symbol is exported by its library/);
    expect(r.report).toMatch(/vllm-mlx-darwin-arm64: CodeDirectory .* 0 bad/);
    expect(r.report).toMatch(/__BUN payload \d+\.\.\d+ inside the signed range/);
  });

  test("one changed byte in libvmlx's code fails its page hashes", () => {
    const dir = libDirWith("flipped", (b) => { b[0x4000 + 123] = b[0x4000 + 123]! ^ 0xff; });
    const r = runDarwinChecks({ ...config, libDir: dir, binary: undefined }, toolchain);
    expect(r.code).toBe(1);
    expect(failedLines(r.report)).toEqual([expect.stringMatching(/^FAIL libvmlx\.dylib: CodeDirectory .* 1 bad \(first 1\)$/)]);
  });

  test("a symbol src/mlx/ffi binds that libvmlx does not export fails", () => {
    const r = runDarwinChecks({ ...config, binary: undefined, tsSymbols: [...config.tsSymbols, "vmlx_not_there"] }, toolchain);
    expect(r.code).toBe(1);
    expect(failedLines(r.report)).toEqual([expect.stringContaining("missing ['vmlx_not_there']")]);
  });

  test("an import that the libc++ allow-list lacks fails", () => {
    const stub = join(scratch, "libc++.tbd");
    writeFileSync(stub, readFileSync(config.libcxxStub, "utf8").replace("'__Znwm',", ""));
    const r = runDarwinChecks({ ...config, binary: undefined, libcxxStub: stub }, toolchain);
    expect(r.code).toBe(1);
    expect(r.report).toContain("__Znwm (/usr/lib/libc++.1.dylib)");
  });

  test("another minimum macOS fails", () => {
    const r = runDarwinChecks({ ...config, binary: undefined, minos: "15.0" }, toolchain);
    expect(r.code).toBe(1);
    expect(r.report).toContain("FAIL libvmlx.dylib: macOS minos 14.0 (= 15.0)");
  });

  test("libvips outside the folder sharp's addon looks in fails, and a floor below sharp's minimum fails", () => {
    const root = join(scratch, "sharp-moved");
    const moved = join("@img", "elsewhere", "lib", libvips);
    for (const [from, to] of [[config.sharp.addon, config.sharp.addon], [config.sharp.libvips, moved]] as const) {
      Bun.spawnSync(["mkdir", "-p", join(root, to, "..")]);
      copyFileSync(join(config.sharp.root, from), join(root, to));
    }
    const r = runDarwinChecks({ ...config, binary: undefined, sharp: { root, addon: config.sharp.addon, libvips: moved } },
      toolchain);
    expect(r.code).toBe(1);
    expect(failedLines(r.report)).toEqual([
      expect.stringMatching(new RegExp(`^FAIL ${addon.replace(/\./g, "\\.")}: @rpath/.* resolves inside the unpacked layout \\(LC_RPATH`)),
      `FAIL ${addon}: loads ${libvips}`,
    ]);
    const low = runDarwinChecks({ ...config, binary: undefined, minos: "10.15" }, toolchain);
    expect(low.report).toContain(`FAIL ${addon}: macOS minos 11.0 (<= 10.15)`);
    expect(low.report).toContain(`FAIL ${libvips}: macOS minos 11.0 (<= 10.15)`);
  });

  test("a file the binary does not carry byte for byte fails", () => {
    const dir = libDirWith("changed", (b) => { b[b.length - 10] = b[b.length - 10]! ^ 0xff; });
    const r = runDarwinChecks({ ...config, embedded: [join(dir, "libvmlx.dylib")] }, toolchain);
    expect(r.code).toBe(1);
    expect(r.report).toContain("FAIL vllm-mlx-darwin-arm64: carries libvmlx.dylib");
  });
});
