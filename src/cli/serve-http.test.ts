import { describe, expect, test } from "bun:test";
import { httpAppOptions, httpServeOptions, parseHttpFlags } from "./serve-http.ts";
import { parseServeArgs } from "./serve.ts";

const fail = (message: string) => new Error(message);

describe("serve's HTTP flags", () => {
  test("parse into app and serve options", () => {
    const flags = parseHttpFlags(
      { "idle-timeout": "2.5", "max-connections": "500", "allowed-hosts": "llm.lan, 10.0.0.2:8000", "metrics-public": true, "max-request-bytes": "1048576", "responses-store-bytes": "4096" },
      fail,
    );
    expect(flags).toEqual({ idleTimeoutSeconds: 2.5, maxConnections: 500, allowedHosts: ["llm.lan", "10.0.0.2:8000"], metricsPublic: true, maxRequestBytes: 1048576, responsesStoreBytes: 4096 });
    expect(httpAppOptions(flags, "0.0.0.0", 8000)).toEqual({ allowedHosts: ["llm.lan", "10.0.0.2:8000"], metricsPublic: true, maxBodyBytes: 1048576, responsesStoreBytes: 4096 });
    expect(httpServeOptions(flags)).toEqual({ idleTimeoutSeconds: 2.5, maxConnections: 500 });
  });
  test("defaults: the Host check follows the bound address; serve keeps its own defaults", () => {
    const flags = parseHttpFlags({}, fail);
    expect(flags).toEqual({});
    expect(httpAppOptions(flags, "127.0.0.1", 8000)).toEqual({ allowedHosts: ["127.0.0.1:8000", "localhost:8000", "[::1]:8000"] });
    expect(httpAppOptions(flags, "0.0.0.0", 8000)).toEqual({ allowedHosts: ["*"] });
    expect(httpServeOptions(flags)).toEqual({});
  });
  test("bad values name their flag", () => {
    const cases: [Record<string, string>, string][] = [
      [{ "idle-timeout": "-1" }, "--idle-timeout"],
      [{ "idle-timeout": "soon" }, "--idle-timeout"],
      [{ "max-connections": "0" }, "--max-connections"],
      [{ "max-connections": "1e3" }, "--max-connections"],
      [{ "max-request-bytes": "32M" }, "--max-request-bytes"],
      [{ "responses-store-bytes": "-5" }, "--responses-store-bytes"],
      [{ "allowed-hosts": " , " }, "--allowed-hosts"],
    ];
    for (const [args, flag] of cases) expect(() => parseHttpFlags(args, fail)).toThrow(flag);
  });
  test("parseServeArgs carries them", () => {
    expect(parseServeArgs({ port: "8000", "idle-timeout": "0" }).http).toEqual({ idleTimeoutSeconds: 0 });
    expect(() => parseServeArgs({ port: "8000", "max-connections": "x" })).toThrow("--max-connections must be a positive whole number");
  });
});
