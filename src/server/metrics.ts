/**
 * `GET /metrics` in Prometheus text format: request counters, token counters, TTFT and per-request
 * decode-rate histograms (fed by the access log), the engine's live gauges (running and waiting
 * requests, KV blocks in use, prefix-cache hit rate), and the prefix and encoder caches' counters.
 */
import type { EngineStats } from "../engine/protocol.ts";
import type { GenerationMetrics } from "./generation.ts";

const PREFIX = "vllm_mlx";

type Render = (name: string, help: string, v: number) => string[];

/**
 * The prefix cache's and the encoder cache's counters: requests that hit (reused at least one KV block) and
 * missed, prompt tokens looked up and saved, hits on blocks holding an image's or video's tokens, evictions; the
 * encoder-output cache's hits, misses, evictions, bytes and budget. Absent counters are left out.
 */
function cacheCounters(stats: EngineStats, counter: Render, gauge: (name: string, help: string, v: number | undefined) => string[]): string[] {
  const c = (name: string, help: string, v: number | undefined) => (v === undefined ? [] : counter(name, help, v));
  const requests = stats.prefixCacheRequests;
  const hits = stats.prefixCacheRequestHits;
  return [
    ...c("prefix_cache_queries_total", "Prompt tokens looked up in the prefix cache.", stats.prefixCacheQueries),
    ...c("prefix_cache_hit_tokens_total", "Prompt tokens served from the prefix cache (prompt tokens saved).", stats.prefixCacheHits),
    ...c("prefix_cache_hits_total", "Requests that reused at least one cached KV block.", hits),
    ...c("prefix_cache_misses_total", "Requests that reused no cached KV block.",
      requests === undefined || hits === undefined ? undefined : requests - hits),
    ...c("prefix_cache_mm_hits_total", "Requests that reused cached KV blocks holding an image's or video's tokens.", stats.prefixCacheMmHits),
    ...c("prefix_cache_evictions_total", "Cached KV blocks evicted.", stats.prefixCacheEvictions),
    ...c("mm_encoder_cache_hits_total", "Images and videos whose encoder output came from the encoder cache.", stats.encoderCacheHits),
    ...c("mm_encoder_cache_misses_total", "Images and videos the vision tower had to encode.", stats.encoderCacheMisses),
    ...c("mm_encoder_cache_evictions_total", "Encoder outputs evicted from the encoder cache.", stats.encoderCacheEvictions),
    ...gauge("mm_encoder_cache_bytes", "Bytes of encoder outputs held in the encoder cache.", stats.encoderCacheBytes),
    ...gauge("mm_encoder_cache_budget_bytes", "Byte budget of the encoder cache (--mm-cache-bytes).", stats.encoderCacheBudgetBytes),
  ];
}

export class Histogram {
  readonly #counts: number[];
  #sum = 0;
  #count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {
    this.#counts = buckets.map(() => 0);
  }

  observe(v: number): void {
    this.#sum += v;
    this.#count++;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) this.#counts[i]!++;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{le="${b}"} ${this.#counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.#count}`, `${this.name}_sum ${this.#sum}`, `${this.name}_count ${this.#count}`);
    return lines;
  }
}

/**
 * The server's metric registry.
 *
 * @example
 *   const m = new ServerMetrics(); m.recordRequest(200, metrics); m.render(engine.stats());
 */
export class ServerMetrics {
  readonly ttft = new Histogram(`${PREFIX}_time_to_first_token_seconds`, "Time to first token.", [
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
  ]);
  readonly tokenRate = new Histogram(`${PREFIX}_generation_tokens_per_second`, "Decode rate of each request.", [
    1, 5, 10, 25, 50, 100, 200, 400, 800,
  ]);
  readonly #requests = new Map<number, number>();
  #promptTokens = 0;
  #completionTokens = 0;

  recordRequest(status: number, m: GenerationMetrics | null): void {
    this.#requests.set(status, (this.#requests.get(status) ?? 0) + 1);
    if (!m) return;
    this.#promptTokens += m.promptTokens;
    this.#completionTokens += m.completionTokens;
    if (m.ttftMs !== null) this.ttft.observe(m.ttftMs / 1000);
    if (m.ttftMs !== null && m.totalMs !== null && m.completionTokens > 1 && m.totalMs > m.ttftMs) {
      this.tokenRate.observe(((m.completionTokens - 1) * 1000) / (m.totalMs - m.ttftMs));
    }
  }

  render(stats: EngineStats): string {
    const gauge = (name: string, help: string, v: number | undefined) =>
      v === undefined ? [] : [`# HELP ${PREFIX}_${name} ${help}`, `# TYPE ${PREFIX}_${name} gauge`, `${PREFIX}_${name} ${v}`];
    const counter = (name: string, help: string, v: number) => [`# HELP ${PREFIX}_${name} ${help}`, `# TYPE ${PREFIX}_${name} counter`, `${PREFIX}_${name} ${v}`];
    const hitRate = stats.prefixCacheQueries ? (stats.prefixCacheHits ?? 0) / stats.prefixCacheQueries : undefined;
    const lines = [
      ...gauge("num_requests_running", "Requests being prefilled or decoded.", stats.running),
      ...gauge("num_requests_waiting", "Requests waiting for admission.", stats.waiting),
      ...gauge("kv_cache_blocks_used", "Paged KV cache blocks in use.", stats.kvBlocksUsed),
      ...gauge("kv_cache_blocks_total", "Paged KV cache blocks in the pool.", stats.kvBlocksTotal),
      ...gauge("kv_cache_usage_ratio", "Share of KV cache blocks in use.",
        stats.kvBlocksTotal ? (stats.kvBlocksUsed ?? 0) / stats.kvBlocksTotal : undefined),
      ...gauge("prefix_cache_hit_rate", "Prompt tokens served from the prefix cache, as a share of those looked up.", hitRate),
      ...gauge("kv_cache_budget_bytes", "Bytes the KV cache may grow to.", stats.kvBudgetBytes),
      ...gauge("kv_cache_pool_bytes", "Bytes of KV cache allocated now (grows on demand, shrinks when idle).", stats.kvPoolBytes),
      ...gauge("mlx_cache_bytes", "Bytes held in MLX's buffer cache.", stats.mlxCacheBytes),
      ...gauge("mlx_cache_limit_bytes", "Limit of MLX's buffer cache.", stats.mlxCacheLimitBytes),
      ...gauge("mlx_active_bytes", "Bytes of live MLX arrays (weights, KV cache, running steps).", stats.mlxActiveBytes),
      ...(stats.numPreemptions === undefined ? [] : counter("num_preemptions_total", "Sequences preempted.", stats.numPreemptions)),
      ...cacheCounters(stats, counter, gauge),
      ...counter("prompt_tokens_total", "Prompt tokens processed.", this.#promptTokens),
      ...counter("generation_tokens_total", "Tokens generated.", this.#completionTokens),
      `# HELP ${PREFIX}_requests_total Finished HTTP requests by status.`,
      `# TYPE ${PREFIX}_requests_total counter`,
      ...[...this.#requests].map(([status, n]) => `${PREFIX}_requests_total{status="${status}"} ${n}`),
      ...this.ttft.render(),
      ...this.tokenRate.render(),
    ];
    return `${lines.join("\n")}\n`;
  }
}
