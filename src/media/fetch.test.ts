import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { isPrivateAddress } from "./address.ts";
import { MediaCancelledError, MediaError } from "./errors.ts";
import { fetchRemoteMedia, type MediaNetwork } from "./fetch.ts";
import { DEFAULT_MEDIA_POLICY } from "./policy.ts";
import { type TrickleServer, trickleServer, waitForLength } from "./testing.ts";

const policy = { ...DEFAULT_MEDIA_POLICY, fetchTimeoutMs: 5000 };
const TESTDATA = join(import.meta.dir, "testdata");

/** A stub network: `answers[host]` gives each query's addresses in turn (the last repeats); 127.0.0.1 counts as public. */
function stubNetwork(answers: Record<string, string[][]>, ca?: string): MediaNetwork & { queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    resolve: async (host) => {
      const list = answers[host];
      if (!list) throw new Error(`no such host ${host}`);
      const n = queries.filter((q) => q === host).length;
      queries.push(host);
      return list[Math.min(n, list.length - 1)]!;
    },
    isPrivate: (ip) => ip !== "127.0.0.1" && isPrivateAddress(ip),
    ...(ca === undefined ? {} : { ca }),
  };
}

async function failure(promise: Promise<unknown>): Promise<MediaError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof MediaError) return e;
    throw e;
  }
  throw new Error("expected a MediaError");
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("the connection goes to the checked address", () => {
  let server: ReturnType<typeof Bun.serve>;
  let tls: ReturnType<typeof Bun.serve>;
  let ca: string;
  beforeAll(async () => {
    const echo = (req: Request) => {
      const path = new URL(req.url).pathname;
      if (path === "/to-inner") return Response.redirect(`http://inner.test:${server.port}/host`, 302);
      if (path === "/to-metadata") return Response.redirect("http://169.254.169.254/latest/meta-data", 302);
      return new Response(`host=${req.headers.get("host")}`);
    };
    server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: echo });
    ca = await Bun.file(join(TESTDATA, "media-test.cert.pem")).text();
    const key = await Bun.file(join(TESTDATA, "media-test.key.pem")).text();
    tls = Bun.serve({ hostname: "127.0.0.1", port: 0, tls: { cert: ca, key }, fetch: echo });
  });
  afterAll(() => {
    server.stop(true);
    tls.stop(true);
  });

  test("a name is resolved once and the request reaches the address it resolved to, with the name as Host", async () => {
    // The system resolver knows no `media.test`: only a connection to the stub's answer can succeed.
    const network = stubNetwork({ "media.test": [["127.0.0.1"], ["10.0.0.1"]] });
    const bytes = await fetchRemoteMedia(`http://media.test:${server.port}/host`, policy, { network });
    expect(text(bytes)).toBe(`host=media.test:${server.port}`);
    expect(network.queries).toEqual(["media.test"]);
  });

  test("DNS rebinding: the answer that was checked is the one connected to; a later private answer is refused", async () => {
    // A rebinding resolver answers 127.0.0.1 (public here) first and 10.0.0.1 after. The fetch asks it once and
    // connects to what it checked (any other lookup fails: only the stub knows rebind.test); the next fetch's
    // own lookup gets the private answer and is refused before connecting.
    const network = stubNetwork({ "rebind.test": [["127.0.0.1"], ["10.0.0.1"]] });
    expect(text(await fetchRemoteMedia(`http://rebind.test:${server.port}/host`, policy, { network }))).toBe(`host=rebind.test:${server.port}`);
    expect(network.queries).toEqual(["rebind.test"]);
    expect((await failure(fetchRemoteMedia(`http://rebind.test:${server.port}/host`, policy, { network }))).message).toMatch(/host 'rebind.test' is a private/);
    expect(network.queries).toEqual(["rebind.test", "rebind.test"]);
  });

  test("an answer with any private address is refused before connecting", async () => {
    const network = stubNetwork({ "mixed.test": [["127.0.0.1", "10.0.0.1"]], "meta.test": [["169.254.169.254"]] });
    expect((await failure(fetchRemoteMedia(`http://mixed.test:${server.port}/host`, policy, { network }))).message).toMatch(/host 'mixed.test' is a private, loopback or link-local address/);
    expect((await failure(fetchRemoteMedia("http://meta.test/", policy, { network }))).message).toMatch(/private/);
  });

  test("a redirect goes through the same check: to a name that resolves privately, or to a private IP", async () => {
    const network = stubNetwork({ "public.test": [["127.0.0.1"]], "inner.test": [["10.1.2.3"]] });
    const inner = await failure(fetchRemoteMedia(`http://public.test:${server.port}/to-inner`, policy, { network }));
    expect(inner.message).toMatch(/host 'inner.test' is a private, loopback or link-local address/);
    expect(network.queries).toEqual(["public.test", "inner.test"]);
    const metadata = await failure(fetchRemoteMedia(`http://public.test:${server.port}/to-metadata`, policy, { network }));
    expect(metadata.message).toMatch(/host '169.254.169.254' is a private/);
  });

  test("https keeps SNI and the certificate check on the host name while connecting to the checked address", async () => {
    const network = stubNetwork({ "media.test": [["127.0.0.1"]], "other.test": [["127.0.0.1"]] }, ca);
    expect(text(await fetchRemoteMedia(`https://media.test:${tls.port}/host`, policy, { network }))).toBe(`host=media.test:${tls.port}`);
    // The same address under a name the certificate does not carry.
    expect((await failure(fetchRemoteMedia(`https://other.test:${tls.port}/host`, policy, { network }))).message).toMatch(/other\.test/);
    // Without the test root, the self-signed certificate is not trusted.
    const untrusted = stubNetwork({ "media.test": [["127.0.0.1"]] });
    expect((await failure(fetchRemoteMedia(`https://media.test:${tls.port}/host`, policy, { network: untrusted }))).message).toMatch(/fetching the media URL failed: .*certificate/i);
  });
});

describe("cancellation", () => {
  let trickle: TrickleServer;
  beforeAll(async () => {
    trickle = await trickleServer();
  });
  afterAll(() => trickle.stop());

  test("aborting the request's signal closes the connection mid-body at once", async () => {
    const controller = new AbortController();
    const open = { ...policy, allowPrivateUrls: true, fetchTimeoutMs: 30_000 };
    const fetching = fetchRemoteMedia(trickle.url, open, { signal: controller.signal });
    await waitForLength(trickle.opened, 1);
    await Bun.sleep(200);
    const abortedAt = performance.now();
    controller.abort();
    const e = await failure(fetching);
    expect(e).toBeInstanceOf(MediaCancelledError);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    await waitForLength(trickle.closed, 1);
    expect(trickle.closed.length).toBe(1);
    expect(trickle.closed[0]! - abortedAt).toBeLessThan(1000);
  });

  test("a signal aborted before the fetch starts never connects", async () => {
    const before = trickle.opened.length;
    const e = await failure(fetchRemoteMedia(trickle.url, { ...policy, allowPrivateUrls: true }, { signal: AbortSignal.abort() }));
    expect(e).toBeInstanceOf(MediaCancelledError);
    await Bun.sleep(100);
    expect(trickle.opened.length).toBe(before);
  });
});
