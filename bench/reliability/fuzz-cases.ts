/**
 * Hand-written adversarial requests: deep nesting, NaN and Infinity, invalid UTF-8, huge numbers, a 50 MB body,
 * unknown content parts, wrong types in every field, bad logit_bias keys, empty bodies and wrong content types.
 * Each should get a 4xx in OpenAI's error shape (or a 200 where the request is odd but valid), never a 5xx.
 */
import { seededRandom } from "./http.ts";

export interface FuzzCase {
  name: string;
  path: string;
  method: "POST" | "GET";
  /** null: no Content-Type header. */
  contentType: string | null;
  body: string | Uint8Array | null;
}

const CHAT = "/v1/chat/completions";
const COMPLETIONS = "/v1/completions";
const USER = '{"role":"user","content":"hi"}';

const chat = (name: string, body: FuzzCase["body"], contentType: string | null = "application/json"): FuzzCase =>
  ({ name, path: CHAT, method: "POST", contentType, body });
const completion = (name: string, body: FuzzCase["body"]): FuzzCase =>
  ({ name, path: COMPLETIONS, method: "POST", contentType: "application/json", body });
/** A chat body whose last field is `field: <raw JSON text>`. */
const chatWith = (field: string, raw: string) => `{"messages":[${USER}],"max_tokens":1,${JSON.stringify(field)}:${raw}}`;

function bytes(...parts: (string | number[])[]): Uint8Array {
  const chunks = parts.map((p) => (typeof p === "string" ? new TextEncoder().encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function nesting(): FuzzCase[] {
  const depth = 10_000;
  return [
    chat("nesting: 10,000 arrays as content", `{"messages":[{"role":"user","content":${"[".repeat(depth)}${"]".repeat(depth)}}]}`),
    chat("nesting: 10,000 objects in chat_template_kwargs",
      chatWith("chat_template_kwargs", `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`)),
    chat("nesting: 10,000 objects in tool parameters", `{"messages":[${USER}],"max_tokens":1,"tools":[{"type":"function",` +
      `"function":{"name":"f","parameters":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}}]}`),
    chat("nesting: unbalanced 10,000 arrays", `{"messages":${"[".repeat(depth)}}`),
  ];
}

function numbers(): FuzzCase[] {
  const raw: [string, string][] = [
    ["temperature", "NaN"], ["temperature", "Infinity"], ["temperature", "-Infinity"], ["temperature", "1e400"],
    ["max_tokens", "1e400"], ["max_tokens", "18446744073709551616"], ["max_tokens", "-1e400"], ["max_tokens", "1e-400"],
    ["seed", "18446744073709551616"], ["seed", "1e400"], ["seed", "-9223372036854775809"], ["n", "18446744073709551616"],
    ["top_k", "1e308"], ["top_p", "5e-324"], ["top_logprobs", "1e400"], ["logit_bias", '{"1":1e400}'],
    ["logit_bias", '{"1":NaN}'], ["presence_penalty", "-0"], ["max_completion_tokens", "2147483648"],
  ];
  const out = raw.map(([field, value]) => chat(`number: ${field}=${value}`, chatWith(field, value)));
  out.push(completion("number: prompt token 2**64", '{"prompt":[18446744073709551616],"max_tokens":1}'));
  out.push(completion("number: prompt token 2**31", '{"prompt":[2147483648],"max_tokens":1}'));
  out.push(completion("number: prompt token past the vocabulary", '{"prompt":[49152, 1, 2],"max_tokens":1}'));
  out.push(completion("number: prompt token -1", '{"prompt":[-1],"max_tokens":1}'));
  out.push(completion("number: prompt token 1.5", '{"prompt":[1.5],"max_tokens":1}'));
  return out;
}

function encodings(): FuzzCase[] {
  const head = '{"messages":[{"role":"user","content":"';
  const tail = '"}],"max_tokens":1}';
  return [
    chat("utf-8: lone 0xff", bytes(head, [0xff], tail)),
    chat("utf-8: overlong slash 0xc0 0xaf", bytes(head, [0xc0, 0xaf], tail)),
    chat("utf-8: truncated 3-byte sequence", bytes(head, [0xe2, 0x82], tail)),
    chat("utf-8: encoded surrogate 0xed 0xa0 0x80", bytes(head, [0xed, 0xa0, 0x80], tail)),
    chat("utf-8: invalid bytes outside strings", bytes('{"messages":[', [0xfe, 0xff], "]}")),
    chat("json: lone surrogate escape", `${head}\\ud800${tail}`),
    chat("json: NUL escape", `${head}a\\u0000b${tail}`),
    chat("json: UTF-16 BOM body", bytes([0xfe, 0xff], '{"messages":[]}')),
    chat("json: UTF-8 BOM then a valid body", bytes([0xef, 0xbb, 0xbf], `{"messages":[${USER}],"max_tokens":1}`)),
  ];
}

function contentParts(): FuzzCase[] {
  const parts = [
    '{"type":"audio","audio":"x"}', '{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}',
    '{"type":"file","file":{"file_id":"f"}}', '{"type":"text"}', '{"type":"text","text":5}', '{"text":"no type"}',
    '{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}', '{"type":"image_url","image_url":"x"}',
    '{"type":"video_url","video_url":{"url":"data:video/mp4;base64,AAAA"}}', "null", "5", '"text"', "[]",
    '{"type":"refusal","refusal":"no"}', '{"type":"__proto__"}',
  ];
  return parts.map((part) =>
    chat(`content part: ${part.slice(0, 40)}`, `{"messages":[{"role":"user","content":[${part}]}],"max_tokens":1}`));
}

function logitBias(): FuzzCase[] {
  const keys = ["2147483647", "9999999999", "-1", "4294967296", "1.5", "", " 1", "0x10", "01", "１", "NaN", "__proto__", "constructor"];
  const out = keys.map((key) => chat(`logit_bias key ${JSON.stringify(key)}`, chatWith("logit_bias", JSON.stringify({ [key]: 5 }))));
  out.push(chat("logit_bias: 100,000 keys",
    chatWith("logit_bias", JSON.stringify(Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [String(i), 1]))))));
  out.push(chat("logit_bias: array", chatWith("logit_bias", "[1,2]")));
  return out;
}

function shapes(): FuzzCase[] {
  const valid = `{"messages":[${USER}],"max_tokens":1}`;
  const bodies: [string, string | null][] = [
    ["empty body", ""], ["whitespace body", "  \n"], ["{}", "{}"], ["[]", "[]"], ["null", "null"], ['"string"', '"x"'],
    ["number", "1"], ["truncated JSON", '{"messages":[{"role":"user"'], ["trailing garbage", `${valid}xyz`],
    ["two objects", `${valid}${valid}`], ["duplicate keys", `{"messages":[],"messages":[${USER}],"max_tokens":1}`],
    ["__proto__ key", `{"__proto__":{"max_tokens":1},"messages":[${USER}],"max_tokens":1}`], ["no body", null],
  ];
  const out: FuzzCase[] = bodies.map(([name, body]) => chat(`body: ${name}`, body));
  out.push(...bodies.slice(0, 8).map(([name, body]) => completion(`completions body: ${name}`, body)));
  const types: (string | null)[] = [null, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/json; charset=utf-16", "application/jsonx", "application/xml", "*/*", "application/json;;;", "\u00e9"];
  for (const type of types) out.push(chat(`content type: ${JSON.stringify(type)}`, valid, type));
  out.push({ name: "GET with a body-only route", path: CHAT, method: "GET", contentType: null, body: null });
  out.push({ name: "unknown route", path: "/v1/engines", method: "GET", contentType: null, body: null });
  out.push({ name: "path traversal in model id", path: "/v1/models/..%2F..%2Fetc%2Fpasswd", method: "GET", contentType: null, body: null });
  out.push({ name: "10 KB model id", path: `/v1/models/${"a".repeat(10_000)}`, method: "GET", contentType: null, body: null });
  return out;
}

/** Values of the wrong type (or range) for any field. */
const WRONG_VALUES = ["null", "true", "0", "-1", "1.5", '""', '"x"', "[]", "{}", "[1]", '{"a":1}', "1e999", '"1"'];

/** Sampling and chat fields, each given every wrong value. */
const CHAT_FIELDS = [
  "model", "max_tokens", "temperature", "top_p", "top_k", "min_p", "seed", "presence_penalty", "frequency_penalty",
  "repetition_penalty", "logit_bias", "stop", "n", "user", "stream", "stream_options", "messages", "max_completion_tokens",
  "logprobs", "top_logprobs", "tools", "tool_choice", "parallel_tool_calls", "response_format", "chat_template_kwargs",
];

function wrongTypes(): FuzzCase[] {
  const out: FuzzCase[] = [];
  for (const field of CHAT_FIELDS) {
    for (const value of WRONG_VALUES) out.push(chat(`wrong type: ${field}=${value}`, chatWith(field, value)));
  }
  for (const field of ["role", "content", "name", "tool_calls", "tool_call_id"]) {
    for (const value of WRONG_VALUES) {
      out.push(chat(`wrong type: messages[0].${field}=${value}`,
        `{"messages":[{"role":"user","content":"hi",${JSON.stringify(field)}:${value}}],"max_tokens":1}`));
    }
  }
  for (const field of ["prompt", "echo", "logprobs", "best_of", "suffix"]) {
    for (const value of WRONG_VALUES) {
      out.push(completion(`wrong type: completions ${field}=${value}`, `{"prompt":"hi","max_tokens":1,${JSON.stringify(field)}:${value}}`));
    }
  }
  return out;
}

/** The 50 MB body (built on demand: it is large). */
export function hugeBodyCase(): FuzzCase {
  const filler = "a".repeat(50 * 1024 * 1024);
  return chat("50 MB body", `{"messages":[{"role":"user","content":"${filler}"}],"max_tokens":1}`);
}

/** A few valid requests, so the run also shows the server still answers real work between the bad ones. */
function controls(): FuzzCase[] {
  return [
    chat("control: valid chat", `{"messages":[${USER}],"max_tokens":1}`),
    chat("control: valid streamed chat", `{"messages":[${USER}],"max_tokens":2,"stream":true}`),
    completion("control: valid completion", '{"prompt":"Once upon","max_tokens":1}'),
  ];
}

/**
 * The fixed adversarial cases (the 50 MB body is separate, see {@link hugeBodyCase}). With `sample`, a seeded
 * sample of the wrong-type grid is kept instead of all of it.
 *
 * @example
 *   for (const c of adversarialCases({ sample: 120 })) await sendCase(url, c);
 */
export function adversarialCases(options: { sample?: number; seed?: number } = {}): FuzzCase[] {
  let grid = wrongTypes();
  if (options.sample !== undefined && options.sample < grid.length) {
    const random = seededRandom(options.seed ?? 1);
    grid = grid.map((c) => ({ c, k: random() })).sort((a, b) => a.k - b.k).slice(0, options.sample).map(({ c }) => c);
  }
  return [...controls(), ...nesting(), ...numbers(), ...encodings(), ...contentParts(), ...logitBias(), ...shapes(), ...grid, ...controls()];
}

/**
 * A random mutation of a valid chat body: one to three fields set to wrong values, for the long form's volume.
 *
 * @example
 *   const next = mutatedCase(seededRandom(7), 0);
 */
export function mutatedCase(random: () => number, index: number): FuzzCase {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const fields = Array.from({ length: 1 + Math.floor(random() * 3) }, () => [pick(CHAT_FIELDS), pick(WRONG_VALUES)] as const);
  const extra = fields.map(([f, v]) => `${JSON.stringify(f)}:${v}`).join(",");
  return chat(`mutation ${index}: ${extra.slice(0, 80)}`, `{"messages":[${USER}],"max_tokens":1,${extra}}`);
}
