import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hubSettings } from "./settings.ts";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "vmlx-hub-settings-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("hubSettings", () => {
  test("defaults under HOME", () => {
    const home = tempDir();
    expect(hubSettings({ env: { HOME: home } })).toEqual({
      cacheDir: join(home, ".cache", "huggingface", "hub"),
      endpoint: "https://huggingface.co",
      token: undefined,
      offline: false,
    });
  });

  test("HF_HOME, then HF_HUB_CACHE, then the option decide the cache", () => {
    const env = { HOME: "/nowhere", HF_HOME: "/data/hf" };
    expect(hubSettings({ env }).cacheDir).toBe("/data/hf/hub");
    expect(hubSettings({ env: { ...env, HF_HUB_CACHE: "/fast/cache" } }).cacheDir).toBe("/fast/cache");
    expect(hubSettings({ env: { ...env, HF_HUB_CACHE: "/fast/cache" }, cacheDir: "/x" }).cacheDir).toBe("/x");
  });

  test("HF_HUB_OFFLINE accepts 1/true/yes/on", () => {
    for (const v of ["1", "true", "YES", "on"]) expect(hubSettings({ env: { HF_HUB_OFFLINE: v } }).offline).toBe(true);
    for (const v of ["0", "false", ""]) expect(hubSettings({ env: { HF_HUB_OFFLINE: v } }).offline).toBe(false);
    expect(hubSettings({ env: { HF_HUB_OFFLINE: "1" }, offline: false }).offline).toBe(false);
  });

  test("HF_ENDPOINT loses trailing slashes; HF_TOKEN wins over the stored token file", () => {
    const home = tempDir();
    mkdirSync(join(home, "hf"));
    writeFileSync(join(home, "hf", "token"), "hf_stored\n");
    const env = { HOME: home, HF_HOME: join(home, "hf"), HF_ENDPOINT: "http://mirror.local:8080//" };
    expect(hubSettings({ env }).endpoint).toBe("http://mirror.local:8080");
    expect(hubSettings({ env }).token).toBe("hf_stored");
    expect(hubSettings({ env: { ...env, HF_TOKEN: "hf_env" } }).token).toBe("hf_env");
    expect(hubSettings({ env: { ...env, HF_TOKEN: "hf_env" }, token: "hf_opt" }).token).toBe("hf_opt");
  });
});
