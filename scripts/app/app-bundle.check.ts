/**
 * Structural checks of `bun run package:app`'s output (run by scripts/test.sh after the release build, like
 * scripts/darwin/darwin.check.ts): the bundle's layout, Info.plist's fields (parsed with the plist package, as
 * plutil is not available on Linux), the executable (the darwin-arm64 binary, byte for byte, mode 755, carrying
 * the desktop app's worker), the icon, and the zip (read back by python's zipfile).
 */
import { beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "plist";
import { APP_NAME, BUNDLE_ID, EXECUTABLE, MINIMUM_MACOS } from "../package-app.ts";
import { REPO_ROOT } from "../paths.ts";

const DIST = join(REPO_ROOT, "dist");
const APP = join(DIST, `${APP_NAME}.app`);
const BINARY = join(DIST, "vllm-mlx-darwin-arm64");
const version = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

beforeAll(() => {
  const proc = Bun.spawnSync([process.execPath, join(REPO_ROOT, "scripts", "package-app.ts")], { stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) throw new Error(`package:app failed:\n${proc.stderr.toString()}`);
}, 300_000);

test("Info.plist names the bundle, its version, the macOS 14 floor, the executable and the icon", () => {
  const info = parse(readFileSync(join(APP, "Contents", "Info.plist"), "utf8")) as Record<string, unknown>;
  expect(info.CFBundleIdentifier).toBe(BUNDLE_ID);
  expect(info.CFBundleName).toBe(APP_NAME);
  expect(info.CFBundlePackageType).toBe("APPL");
  expect(info.CFBundleShortVersionString).toBe(version);
  expect(info.CFBundleVersion).toBe(version);
  expect(info.LSMinimumSystemVersion).toBe(MINIMUM_MACOS);
  expect(info.CFBundleExecutable).toBe(EXECUTABLE);
  expect(info.CFBundleIconFile).toBe(`${APP_NAME}.icns`);
  expect(existsSync(join(APP, "Contents", "Resources", String(info.CFBundleIconFile)))).toBe(true);
  expect(readFileSync(join(APP, "Contents", "PkgInfo"), "utf8")).toBe("APPL????");
});

test("the executable is the darwin-arm64 binary, executable, with the desktop app inside", async () => {
  const exe = join(APP, "Contents", "MacOS", EXECUTABLE);
  expect(statSync(exe).mode & 0o777).toBe(0o755);
  const bytes = new Uint8Array(readFileSync(exe));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(view.getUint32(0, true)).toBe(0xfeedfacf); // MH_MAGIC_64
  expect(view.getUint32(4, true)).toBe(0x0100000c); // CPU_TYPE_ARM64
  const hash = (b: Uint8Array) => new Bun.CryptoHasher("sha256").update(b).digest("hex");
  expect(hash(bytes)).toBe(hash(new Uint8Array(readFileSync(BINARY))));
  // The compiled worker entrypoint of `vllm-mlx app` and webview-bun's macOS library.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(text.includes("src/desktop/server-worker")).toBe(true);
  expect(text.includes("@rpath/libwebview")).toBe(true); // libwebview.dylib itself (its install name), not only its path
});

test("the icon is an .icns of PNGs whose length matches its header", () => {
  const icns = readFileSync(join(APP, "Contents", "Resources", `${APP_NAME}.icns`));
  expect(icns.subarray(0, 4).toString("latin1")).toBe("icns");
  expect(icns.readUInt32BE(4)).toBe(icns.length);
  expect(icns.subarray(16, 20).toString("latin1")).toBe("\x89PNG");
});

test("the zip holds the bundle with the executable bit kept", () => {
  const script = "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, oct(i.external_attr >> 16), i.file_size)";
  const out = Bun.spawnSync(["python3", "-c", script, `${APP}.zip`]);
  expect(out.exitCode, out.stderr.toString()).toBe(0);
  const lines = out.stdout.toString().trim().split("\n");
  expect(lines).toContain(`${APP_NAME}.app/Contents/MacOS/${EXECUTABLE} 0o100755 ${statSync(BINARY).size}`);
  expect(lines.map((l) => l.split(" ")[0])).toEqual([
    `${APP_NAME}.app/`, `${APP_NAME}.app/Contents/`, `${APP_NAME}.app/Contents/Info.plist`, `${APP_NAME}.app/Contents/MacOS/`,
    `${APP_NAME}.app/Contents/MacOS/${EXECUTABLE}`, `${APP_NAME}.app/Contents/PkgInfo`, `${APP_NAME}.app/Contents/Resources/`,
    `${APP_NAME}.app/Contents/Resources/${APP_NAME}.icns`,
  ]);
});
