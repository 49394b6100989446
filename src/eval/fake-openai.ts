/**
 * A scripted OpenAI-compatible server for evaluation tests: `/v1/models`, `/v1/completions` and
 * `/v1/chat/completions` answer from a script keyed by the last question of the prompt.
 */

/** What the server does for one question. */
export type ScriptedReply =
  | { text: string; finishReason?: string }
  | { status: number; body: string; retryAfter?: string };

/** A request the server saw. */
export interface SeenCompletion {
  path: string;
  body: Record<string, unknown>;
  authorization: string | null;
}

function promptOf(body: Record<string, unknown>): string {
  if (typeof body.prompt === "string") return body.prompt;
  const messages = body.messages as { content?: string }[] | undefined;
  return messages?.at(-1)?.content ?? "";
}

/** The text between the last `Question: ` and the `\nAnswer:` after it. */
export function lastQuestion(prompt: string): string {
  const start = prompt.lastIndexOf("Question: ");
  const end = prompt.lastIndexOf("\nAnswer:");
  return start < 0 || end < start ? "" : prompt.slice(start + "Question: ".length, end);
}

const words = (text: string) => text.split(/\s+/).filter((w) => w !== "").length;

/**
 * Serves on 127.0.0.1 at a random port; `script(question, attempt)` picks the reply, `attempt` counting the
 * requests for that question from 1.
 *
 * @example
 *   using server = new FakeOpenAi("fake/model", (q) => ({ text: "#### 4" }), 10);
 */
export class FakeOpenAi {
  readonly seen: SeenCompletion[] = [];
  maxInFlight = 0;
  #inFlight = 0;
  #attempts = new Map<string, number>();
  readonly #server: ReturnType<typeof Bun.serve>;

  constructor(
    readonly model: string,
    readonly script: (question: string, attempt: number) => ScriptedReply,
    readonly delayMs = 0,
  ) {
    this.#server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => this.#handle(req) });
  }

  get url(): string {
    return `http://127.0.0.1:${this.#server.port}/v1`;
  }

  stop(): void {
    this.#server.stop(true);
  }

  [Symbol.dispose](): void {
    this.stop();
  }

  async #handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (path === "/v1/models") return Response.json({ object: "list", data: [{ id: this.model, object: "model" }] });
    if (path !== "/v1/completions" && path !== "/v1/chat/completions") return new Response("not found", { status: 404 });
    const body = (await req.json()) as Record<string, unknown>;
    this.seen.push({ path, body, authorization: req.headers.get("authorization") });
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    try {
      if (this.delayMs > 0) await Bun.sleep(this.delayMs);
      const prompt = promptOf(body);
      const question = lastQuestion(prompt);
      const attempt = (this.#attempts.get(question) ?? 0) + 1;
      this.#attempts.set(question, attempt);
      const reply = this.script(question, attempt);
      if ("status" in reply) {
        const headers = reply.retryAfter === undefined ? undefined : { "retry-after": reply.retryAfter };
        return new Response(reply.body, { status: reply.status, headers });
      }
      const usage = { prompt_tokens: words(prompt), completion_tokens: words(reply.text) };
      const finish_reason = reply.finishReason ?? "stop";
      const choice = path === "/v1/completions"
        ? { index: 0, text: reply.text, finish_reason }
        : { index: 0, message: { role: "assistant", content: reply.text }, finish_reason };
      return Response.json({ id: "x", object: "text_completion", model: this.model, choices: [choice], usage });
    } finally {
      this.#inFlight--;
    }
  }
}
