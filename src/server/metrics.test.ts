import { describe, expect, test } from "bun:test";
import { FakeEngine } from "./testing/fake-engine.ts";
import { chatBody, post, request, testApp } from "./testing/helpers.ts";
import { Histogram, ServerMetrics } from "./metrics.ts";

describe("metrics", () => {
  test("histogram buckets are cumulative, with sum and count", () => {
    const h = new Histogram("x", "help", [1, 2, 5]);
    for (const v of [0.5, 1.5, 1.7, 4, 9]) h.observe(v);
    const text = h.render().join("\n");
    expect(text).toContain('x_bucket{le="1"} 1');
    expect(text).toContain('x_bucket{le="2"} 3');
    expect(text).toContain('x_bucket{le="5"} 4');
    expect(text).toContain('x_bucket{le="+Inf"} 5');
    expect(text).toContain("x_sum 16.7");
    expect(text).toContain("x_count 5");
  });

  test("engine gauges and the prefix-cache hit rate are rendered from stats", () => {
    const text = new ServerMetrics().render({
      running: 3, waiting: 2, capacity: 8, kvBlocksUsed: 25, kvBlocksTotal: 100, prefixCacheQueries: 200, prefixCacheHits: 50,
    });
    expect(text).toContain("vllm_mlx_num_requests_running 3");
    expect(text).toContain("vllm_mlx_num_requests_waiting 2");
    expect(text).toContain("vllm_mlx_kv_cache_blocks_used 25");
    expect(text).toContain("vllm_mlx_kv_cache_usage_ratio 0.25");
    expect(text).toContain("vllm_mlx_prefix_cache_hit_rate 0.25");
  });

  test("prefix and encoder cache counters: hits, misses, tokens saved, media hits, evictions", () => {
    const text = new ServerMetrics().render({
      running: 0, waiting: 0, capacity: 8, prefixCacheQueries: 400, prefixCacheHits: 96, prefixCacheRequests: 5,
      prefixCacheRequestHits: 3, prefixCacheMmHits: 2, prefixCacheEvictions: 7, encoderCacheHits: 4, encoderCacheMisses: 6,
      encoderCacheEvictions: 1, encoderCacheBytes: 2048, encoderCacheBudgetBytes: 4096,
    });
    const lines = text.split("\n");
    for (const line of [
      "vllm_mlx_prefix_cache_hit_rate 0.24",
      "vllm_mlx_prefix_cache_queries_total 400",
      "vllm_mlx_prefix_cache_hit_tokens_total 96",
      "vllm_mlx_prefix_cache_hits_total 3",
      "vllm_mlx_prefix_cache_misses_total 2",
      "vllm_mlx_prefix_cache_mm_hits_total 2",
      "vllm_mlx_prefix_cache_evictions_total 7",
      "vllm_mlx_mm_encoder_cache_hits_total 4",
      "vllm_mlx_mm_encoder_cache_misses_total 6",
      "vllm_mlx_mm_encoder_cache_evictions_total 1",
      "vllm_mlx_mm_encoder_cache_bytes 2048",
      "vllm_mlx_mm_encoder_cache_budget_bytes 4096",
      "# TYPE vllm_mlx_prefix_cache_hits_total counter",
      "# TYPE vllm_mlx_mm_encoder_cache_bytes gauge",
    ]) expect(lines).toContain(line);
  });

  test("a text-only engine shows no encoder cache series", () => {
    const text = new ServerMetrics().render({ running: 0, waiting: 0, capacity: 8, prefixCacheRequests: 1, prefixCacheRequestHits: 0 });
    expect(text).toContain("vllm_mlx_prefix_cache_misses_total 1");
    expect(text).not.toContain("mm_encoder_cache");
  });

  test("memory gauges: KV budget and pool, MLX buffer cache and its limit, live MLX bytes", () => {
    const text = new ServerMetrics().render({
      running: 0, waiting: 0, capacity: 8, kvBudgetBytes: 4096, kvPoolBytes: 1024, mlxCacheBytes: 7, mlxCacheLimitBytes: 64,
      mlxActiveBytes: 5000,
    });
    expect(text).toContain("vllm_mlx_kv_cache_budget_bytes 4096");
    expect(text).toContain("vllm_mlx_kv_cache_pool_bytes 1024");
    expect(text).toContain("vllm_mlx_mlx_cache_bytes 7");
    expect(text).toContain("vllm_mlx_mlx_cache_limit_bytes 64");
    expect(text).toContain("vllm_mlx_mlx_active_bytes 5000");
  });

  test("GET /metrics counts finished requests and their tokens", async () => {
    const { app } = testApp(new FakeEngine(() => ({ outputs: [["Hel", "lo"]], promptTokens: 7 })));
    const res = await post(app, "/v1/chat/completions", chatBody());
    expect(res.status).toBe(200);
    await res.json();
    const m = await request(app, "/metrics");
    expect(m.status).toBe(200);
    expect(m.headers.get("content-type")).toContain("text/plain");
    const text = await m.text();
    expect(text).toContain('vllm_mlx_requests_total{status="200"} 1');
    expect(text).toContain("vllm_mlx_prompt_tokens_total 7");
    expect(text).toContain("vllm_mlx_generation_tokens_total 2");
    expect(text).toContain("vllm_mlx_time_to_first_token_seconds_count 1");
    expect(text).toContain("vllm_mlx_num_requests_running 0");
  });
});
