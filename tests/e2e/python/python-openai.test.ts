/**
 * The official Python `openai` client (PyPI, pinned) against the compiled binary serving the scripted
 * tool-call model. The venv lives at .cache/py-openai-venv and is created on first use (needs PyPI).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { type ScriptedModel, TOOL_CALL_SCRIPT, writeScriptedModel } from "../../../src/engine/frontend/testing/scripted-model.ts";
import { type RunningServer, startServer } from "../scripted-harness.ts";
import { ensureVenv, OPENAI_PY, PYTHON, run } from "./venv.ts";

let model: ScriptedModel;
let server: RunningServer;

beforeAll(async () => {
  model = writeScriptedModel(TOOL_CALL_SCRIPT);
  [server] = await Promise.all([startServer(model.dir, "scripted-py"), ensureVenv()]);
}, 240_000);

afterAll(async () => {
  await server?.stop();
  if (model) rmSync(model.dir, { recursive: true, force: true });
});

describe("python openai client", () => {
  test(`openai==${OPENAI_PY}: chat, stream and tool call; responses.create, responses.stream and a function call`, async () => {
    const r = await run([PYTHON, join(import.meta.dir, "smoke.py"), `${server.base}/v1`, "scripted-py"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, Record<string, unknown>> & { openai_version: string };
    const tokens = model.scriptIds.length + 1;
    expect(out.openai_version).toBe(OPENAI_PY);
    expect(out.chat).toEqual({ content: TOOL_CALL_SCRIPT, finish_reason: "stop", completion_tokens: tokens });
    expect(out.stream).toEqual({ content: TOOL_CALL_SCRIPT, finish_reason: "stop", completion_tokens: tokens });
    expect(out.tool).toMatchObject({ name: "get_weather", arguments: { city: "Paris" }, finish_reason: "tool_calls" });
    expect(out.tool!.content ?? "").toBe("");
    expect(out.responses).toEqual({ output_text: TOOL_CALL_SCRIPT, status: "completed", output_tokens: tokens });
    const rs = out.responses_stream as { deltas: string; output_text: string; status: string; first: string; last: string; types: string[] };
    expect(rs.deltas).toBe(TOOL_CALL_SCRIPT);
    expect(rs.output_text).toBe(TOOL_CALL_SCRIPT);
    expect(rs.status).toBe("completed");
    expect(rs.first).toBe("response.created");
    expect(rs.last).toBe("response.completed");
    expect(rs.types).toEqual(expect.arrayContaining(["response.output_text.delta", "response.output_text.done", "response.output_item.added"]));
    expect(out.responses_tool).toEqual({ name: "get_weather", arguments: { city: "Paris" }, status: "completed" });
  }, 60_000);
});
