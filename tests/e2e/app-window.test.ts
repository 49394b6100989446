/**
 * `vllm-mlx app` in a real window: the built binary under Xvfb with WebKitGTK (both from Debian, installed by
 * scripts/test.sh's set-up). The default model is a SCRIPTED model (VLLM_MLX_DEFAULT_MODEL), so the answer is
 * known. The app's test hook (VLLM_MLX_APP_TEST_SCRIPT, see src/desktop/window.ts) injects an automation
 * script into the app page: it starts the default model with a small KV cache, sends a message through the
 * chat frame, waits for the answer and the log pane's access-log line, reports them, and closes the window.
 * Afterwards the process must have exited, the port must refuse connections and no process of the run may be
 * left.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import os from "node:os";
import { join } from "node:path";
import { type ScriptedModel, writeScriptedModel } from "../../src/engine/frontend/testing/scripted-model.ts";
import { BINARY } from "./scripted-harness.ts";

const ANSWER = "Hello from the desktop app!";
const DISPLAY = ":91";
let model: ScriptedModel;
let scratch = "";
let xvfb: ReturnType<typeof Bun.spawn> | null = null;

function freePort(): number {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

/** The automation script injected into the app page; it reports JSON lines and closes the window. */
function automation(port: number): string {
  return `(() => {
  if (window.top !== window || !location.pathname.endsWith("/ui/desktop.html")) return;
  const report = (o) => vllmMlxTestReport(JSON.stringify(o));
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const until = async (fn, ms, what) => {
    const end = Date.now() + ms;
    for (;;) { const v = fn(); if (v) return v; if (Date.now() > end) throw new Error("timed out waiting for " + what); await sleep(100); }
  };
  const type = (el, value) => { el.value = value; el.dispatchEvent(new Event("input", { bubbles: true })); };
  window.addEventListener("load", async () => {
    try {
      await until(() => document.querySelector('#model option[value="default"]'), 15000, "the model list");
      type(document.querySelector("#port"), "${port}");
      type(document.querySelector("#flag-max-cache-blocks"), "256");
      type(document.querySelector("#flag-paged-cache-block-size"), "32");
      await sleep(100);
      document.querySelector("#start").click();
      await until(() => document.querySelector("#server-status").dataset.state === "starting", 5000, "starting");
      const status = await until(() => { const s = document.querySelector("#server-status"); return s.dataset.state !== "starting" && s; }, 120000, "the server");
      report({ step: "started", state: status.dataset.state, text: status.textContent });
      const chat = await until(() => document.querySelector("#chat")?.contentDocument?.querySelector("#prompt") && document.querySelector("#chat").contentDocument, 30000, "the chat frame");
      type(chat.querySelector("#prompt"), "Say hello");
      await sleep(100);
      [...chat.querySelectorAll("form.composer button")].find((b) => b.textContent.trim() === "Send").click();
      const answer = await until(() => chat.querySelector('article.message.assistant[data-state="done"] .markdown'), 120000, "the answer");
      await until(() => document.querySelector("#log").textContent.includes("POST /v1/chat/completions 200"), 15000, "the access log line");
      report({ step: "answered", answer: answer.textContent, log: document.querySelector("#log").textContent });
    } catch (e) {
      report({ step: "failed", error: String(e), log: document.querySelector("#log")?.textContent ?? "" });
    }
    vllmMlxTestClose();
  });
})();`;
}

function portRefuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => { socket.destroy(); resolve(false); });
    socket.once("error", () => resolve(true));
  });
}

/** Pids of live processes whose command line mentions `marker`. */
function processesMentioning(marker: string): number[] {
  return readdirSync("/proc").filter((d) => /^\d+$/.test(d)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker) || readFileSync(`/proc/${pid}/environ`, "utf8").includes(marker);
    } catch {
      return false;
    }
  }).map(Number);
}

beforeAll(async () => {
  model = writeScriptedModel(ANSWER);
  scratch = mkdtempSync(join(os.tmpdir(), "vllm-mlx-app-e2e-"));
  xvfb = Bun.spawn(["Xvfb", DISPLAY, "-screen", "0", "1280x800x24", "-nolisten", "tcp"], { stdout: "ignore", stderr: "ignore" });
  const socket = `/tmp/.X11-unix/X${DISPLAY.slice(1)}`;
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket) && Date.now() < deadline) await Bun.sleep(50);
  if (!existsSync(socket)) throw new Error("Xvfb did not start (apt-get install -y xvfb; scripts/test.sh does it)");
}, 30_000);

afterAll(() => {
  xvfb?.kill();
  if (model) rmSync(model.dir, { recursive: true, force: true });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test("vllm-mlx app: start the default model, chat through the window, close it, and nothing is left", async () => {
  const port = freePort();
  const home = join(scratch, "home");
  mkdirSync(home);
  const script = join(scratch, "automation.js");
  writeFileSync(script, automation(port));
  const child = Bun.spawn([BINARY, "app"], {
    cwd: scratch,
    env: {
      PATH: "/usr/bin:/bin", HOME: home, XDG_CACHE_HOME: join(home, "cache"), HF_HUB_OFFLINE: "1", DISPLAY,
      VLLM_MLX_DEFAULT_MODEL: model.dir, VLLM_MLX_APP_TEST_SCRIPT: script,
      // WebKitGTK under Xvfb: no GPU and no sandbox namespaces in a container.
      WEBKIT_DISABLE_COMPOSITING_MODE: "1", WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS: "1", LIBGL_ALWAYS_SOFTWARE: "1",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  const reports = out.split("\n").filter((l) => l.startsWith("app-test: ")).map((l) => JSON.parse(l.slice(10)) as Record<string, string>);
  const context = `stdout:\n${out}\nstderr:\n${err.slice(-4000)}`;
  expect(reports.map((r) => r.step), context).toEqual(["started", "answered"]);
  expect(reports[0]!.state, context).toBe("running");
  expect(reports[0]!.text).toContain(`on port ${port}`);
  expect(reports[1]!.answer).toContain(ANSWER);
  expect(reports[1]!.log).toContain("[engine] serving");
  expect(reports[1]!.log).toContain("POST /v1/chat/completions 200");
  // Closing the window stopped the server before the process exited.
  expect(out).toContain("vllm-mlx app: stopped");
  expect(code, context).toBe(0);
  expect(await portRefuses(port)).toBe(true);
  expect(processesMentioning(script)).toEqual([]);
}, 300_000);
