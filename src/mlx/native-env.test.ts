import { describe, expect, test } from "bun:test";
import { applyBackendDefaults, BACKEND_DEFAULTS, getNativeEnv, setNativeEnv } from "./native-env.ts";

describe("native environment", () => {
  test("a value set here reaches the C library's getenv, which process.env alone does not", () => {
    process.env.VLLM_MLX_TEST_ENV_A = "from-process-env";
    expect(getNativeEnv("VLLM_MLX_TEST_ENV_A")).toBeUndefined();
    expect(setNativeEnv("VLLM_MLX_TEST_ENV_B", "7")).toBe(true);
    expect(getNativeEnv("VLLM_MLX_TEST_ENV_B")).toBe("7");
    expect(process.env.VLLM_MLX_TEST_ENV_B).toBe("7");
  });

  test("backend defaults leave a setting the user made alone", () => {
    const table = { test: { VLLM_MLX_TEST_ENV_C: "default", VLLM_MLX_TEST_ENV_D: "default" } };
    process.env.VLLM_MLX_TEST_ENV_C = "user";
    expect(applyBackendDefaults("test", table)).toEqual(["VLLM_MLX_TEST_ENV_D"]);
    expect(getNativeEnv("VLLM_MLX_TEST_ENV_C")).toBeUndefined();
    expect(getNativeEnv("VLLM_MLX_TEST_ENV_D")).toBe("default");
    expect(applyBackendDefaults("test", table)).toEqual([]);
    expect(applyBackendDefaults("no-such-backend", table)).toEqual([]);
  });

  test("the CPU backend keeps MLX's own defaults", () => {
    expect(BACKEND_DEFAULTS.cpu).toBeUndefined();
  });
});
