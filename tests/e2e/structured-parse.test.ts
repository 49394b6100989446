/**
 * `chat.completions.parse` against the built binary serving the real default model (SmolLM2-135M, too small to
 * follow instructions, so a reply that validates holds by construction): the `openai` npm client with zod
 * schemas, and the Python `openai` client with pydantic models. It also proves that xgrammar's WASM loads
 * inside the compiled binary.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Ajv from "ajv";
import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { join } from "node:path";
import { z } from "zod";
import { type DefaultServer, startDefaultServer } from "./default-harness.ts";
import { ensureVenv, OPENAI_PY, PYTHON, run } from "./python/venv.ts";

const ROUNDS = 4;
let server: DefaultServer;
let client: OpenAI;
let model = "";

beforeAll(async () => {
  [server] = await Promise.all([startDefaultServer("vllm-mlx-parse-"), ensureVenv()]);
  client = new OpenAI({ baseURL: `${server.base}/v1`, apiKey: "unused", maxRetries: 0 });
  model = (await client.models.list()).data[0]!.id;
}, 240_000);

afterAll(async () => {
  await server?.stop();
});

const Address = z.object({ city: z.string().max(10), zip: z.string().regex(/^[0-9]{5}$/) });
const Person = z.object({
  name: z.string().max(12),
  age: z.number().int().min(0).max(120),
  role: z.enum(["admin", "user", "guest"]),
  tags: z.array(z.string().max(8)).max(3),
  address: Address,
  nickname: z.string().max(8).nullable(),
});
const Inventory = z.object({
  items: z.array(z.object({ sku: z.string().max(6), count: z.number().int().min(1).max(9), price: z.number().min(0).max(100) })).min(1).max(3),
  open: z.boolean(),
});

describe("openai npm client: chat.completions.parse with zod", () => {
  test(`${ROUNDS} rounds of two nested schemas each return a parsed object that validates`, async () => {
    const ajv = new Ajv({ strict: false });
    for (let i = 0; i < ROUNDS; i++) {
      for (const [name, schema] of [["person", Person], ["inventory", Inventory]] as const) {
        const format = zodResponseFormat(schema, name);
        const completion = await client.chat.completions.parse({
          model,
          messages: [{ role: "user", content: `Describe ${name} number ${i}.` }],
          response_format: format,
          temperature: 1,
          seed: i,
          max_tokens: 200,
        });
        const choice = completion.choices[0]!;
        expect(choice.finish_reason).toBe("stop");
        const parsed = choice.message.parsed;
        expect(parsed).not.toBeNull();
        // The client parsed it with zod; check the raw text independently against the JSON schema it sent.
        const raw = JSON.parse(choice.message.content!);
        expect(raw).toEqual(parsed);
        const validate = ajv.compile(format.json_schema.schema!);
        expect({ ok: validate(raw), errors: validate.errors }).toEqual({ ok: true, errors: null });
        expect(schema.safeParse(raw).success).toBe(true);
      }
    }
  }, 300_000);

  test("an unsupported schema keyword is a 400 that names it", async () => {
    const error = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "hi" }],
      response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "array", uniqueItems: true } } },
    }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toContain("uniqueItems");
  }, 60_000);
});

describe("python openai client: chat.completions.parse with pydantic", () => {
  test(`openai==${OPENAI_PY}: ${ROUNDS} rounds return a parsed pydantic model`, async () => {
    const r = await run([PYTHON, join(import.meta.dir, "python", "parse.py"), `${server.base}/v1`, model, String(ROUNDS)]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { results: { is_person: boolean; parsed: unknown; content: string; finish_reason: string; refusal: unknown }[] };
    expect(out.results.length).toBe(ROUNDS);
    for (const res of out.results) {
      expect(res.is_person).toBe(true);
      expect(res.finish_reason).toBe("stop");
      expect(res.refusal).toBeNull();
      expect(JSON.parse(res.content)).toEqual(res.parsed);
      // The same constraints in zod: pydantic validated it, this checks that it checked what we asked.
      expect({ parsed: res.parsed, ok: Person.safeParse(res.parsed).success }).toEqual({ parsed: res.parsed, ok: true });
    }
  }, 300_000);
});
