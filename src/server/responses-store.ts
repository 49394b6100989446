/**
 * Stored responses of `/v1/responses`, for `previous_response_id` and `GET`/`DELETE /v1/responses/{id}`: in memory,
 * least recently used first out once their JSON size passes a byte budget.
 */
import type { ChatMessage } from "../engine/protocol.ts";

/** Default byte budget (`--responses-store-bytes`): 64 MiB. */
export const DEFAULT_RESPONSES_STORE_BYTES = 64 * 1024 * 1024;

/** One stored response: the object `GET` returns and the conversation a follow-up continues. */
export interface StoredResponse {
  response: Record<string, unknown>;
  /** Every message up to and including this response's output, without `instructions` (not carried over). */
  conversation: ChatMessage[];
}

export interface ResponsesStoreStats {
  entries: number;
  bytes: number;
  budgetBytes: number;
  evictions: number;
}

/**
 * @example
 *   const store = new ResponsesStore(64 * 1024 * 1024);
 *   store.put("resp_1", { response, conversation });
 *   store.get("resp_1")?.conversation;
 */
export class ResponsesStore {
  readonly #entries = new Map<string, { value: StoredResponse; bytes: number }>();
  #bytes = 0;
  #evictions = 0;

  constructor(readonly budgetBytes: number = DEFAULT_RESPONSES_STORE_BYTES) {}

  /** Stores `value`, evicting the least recently used entries to fit; false when it alone exceeds the budget. */
  put(id: string, value: StoredResponse): boolean {
    this.delete(id);
    const bytes = Buffer.byteLength(JSON.stringify(value));
    if (bytes > this.budgetBytes) return false;
    while (this.#bytes + bytes > this.budgetBytes) {
      const oldest = this.#entries.keys().next().value as string;
      this.delete(oldest);
      this.#evictions++;
    }
    this.#entries.set(id, { value, bytes });
    this.#bytes += bytes;
    return true;
  }

  /** The entry, marked most recently used. */
  get(id: string): StoredResponse | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return entry.value;
  }

  delete(id: string): boolean {
    const entry = this.#entries.get(id);
    if (!entry) return false;
    this.#entries.delete(id);
    this.#bytes -= entry.bytes;
    return true;
  }

  stats(): ResponsesStoreStats {
    return { entries: this.#entries.size, bytes: this.#bytes, budgetBytes: this.budgetBytes, evictions: this.#evictions };
  }

  /** Prometheus lines for `/metrics`. */
  renderMetrics(prefix = "vllm_mlx"): string {
    const s = this.stats();
    const line = (name: string, type: string, help: string, v: number) =>
      [`# HELP ${prefix}_${name} ${help}`, `# TYPE ${prefix}_${name} ${type}`, `${prefix}_${name} ${v}`];
    return `${[
      ...line("responses_store_entries", "gauge", "Responses kept for previous_response_id.", s.entries),
      ...line("responses_store_bytes", "gauge", "Bytes of stored responses (their JSON).", s.bytes),
      ...line("responses_store_budget_bytes", "gauge", "Byte budget of the responses store (--responses-store-bytes).", s.budgetBytes),
      ...line("responses_store_evictions_total", "counter", "Stored responses evicted to stay within the budget.", s.evictions),
    ].join("\n")}\n`;
  }
}
