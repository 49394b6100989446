/**
 * An in-memory Hugging Face Hub for tests: the API listing, `resolve` URLs (LFS files answer 302 to a CDN path
 * on the same server), Range requests, a token switch and a switch that cuts a download midway.
 */
import { createHash } from "node:crypto";
import type { RepoType } from "./cache.ts";

/** One file of the fake repository. */
export interface FakeFile {
  path: string;
  content: Uint8Array;
  /** Served like an LFS file: 302 to `/cdn/{sha256}` with X-Linked-Etag and X-Linked-Size. */
  lfs?: boolean;
}

/** A request the fake hub saw. */
export interface SeenRequest {
  method: string;
  path: string;
  range: string | null;
  authorization: string | null;
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
const sha1 = (data: Uint8Array) => createHash("sha1").update(data).digest("hex");

/**
 * Serves one repository on 127.0.0.1 at a random port (a dataset repository with `repoType` "dataset").
 *
 * @example
 *   using hub = new FakeHub("org/tiny", COMMIT, [{ path: "config.json", content: bytes }]);
 *   await downloadModel("org/tiny", { endpoint: hub.url, cacheDir });
 */
export class FakeHub {
  readonly requests: SeenRequest[] = [];
  /** When set, every hub request needs `Authorization: Bearer {requiredToken}` (401 otherwise). */
  requiredToken: string | undefined;
  /** Close the connection after this many body bytes of the next `cutTimes` CDN downloads. */
  cutAfterBytes = 0;
  cutTimes = 0;
  /** Answer Range requests with the whole file and status 200. */
  ignoreRange = false;
  readonly #server: ReturnType<typeof Bun.serve>;

  constructor(
    readonly repo: string,
    readonly commit: string,
    readonly files: FakeFile[],
    readonly repoType: RepoType = "model",
  ) {
    this.#server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => this.#handle(req),
      error: () => new Response("server error", { status: 500 }),
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.#server.port}`;
  }

  /** Requests whose path starts with `prefix`. */
  count(prefix = "/"): number {
    return this.requests.filter((r) => r.path.startsWith(prefix)).length;
  }

  stop(): void {
    this.#server.stop(true);
  }

  [Symbol.dispose](): void {
    this.stop();
  }

  #handle(req: Request): Response {
    const path = decodeURIComponent(new URL(req.url).pathname);
    const authorization = req.headers.get("authorization");
    this.requests.push({ method: req.method, path, range: req.headers.get("range"), authorization });
    if (path.startsWith("/cdn/")) return this.#cdn(req, path.slice("/cdn/".length));
    if (this.requiredToken !== undefined && authorization !== `Bearer ${this.requiredToken}`) {
      return new Response("Unauthorized", { status: 401, headers: { "X-Error-Code": "GatedRepo" } });
    }
    const api = `/api/${this.repoType}s/${this.repo}/revision/`;
    if (path.startsWith(api)) return this.#listing(path.slice(api.length));
    const resolve = `${this.repoType === "dataset" ? "/datasets" : ""}/${this.repo}/resolve/`;
    if (path.startsWith(resolve)) return this.#resolve(req, path.slice(resolve.length));
    return notFound("RepoNotFound");
  }

  #listing(revision: string): Response {
    if (revision !== "main" && revision !== this.commit) return notFound("RevisionNotFound");
    return Response.json({ id: this.repo, sha: this.commit, siblings: this.files.map((f) => ({ rfilename: f.path })) });
  }

  #resolve(req: Request, rest: string): Response {
    const slash = rest.indexOf("/");
    const revision = rest.slice(0, slash);
    if (revision !== "main" && revision !== this.commit) return notFound("RevisionNotFound");
    const file = this.files.find((f) => f.path === rest.slice(slash + 1));
    if (file === undefined) return notFound("EntryNotFound");
    const common = { "X-Repo-Commit": this.commit };
    if (file.lfs) {
      const hash = sha256(file.content);
      return new Response(null, {
        status: 302,
        headers: {
          ...common,
          Location: `${this.url}/cdn/${hash}`,
          "X-Linked-Etag": `"${hash}"`,
          "X-Linked-Size": String(file.content.byteLength),
          ETag: `"${sha1(new TextEncoder().encode(hash))}"`,
        },
      });
    }
    const headers = { ...common, ETag: `"${sha1(file.content)}"`, "Content-Length": String(file.content.byteLength) };
    return new Response(req.method === "HEAD" ? null : file.content, { headers });
  }

  #cdn(req: Request, hash: string): Response {
    const file = this.files.find((f) => f.lfs && sha256(f.content) === hash);
    if (file === undefined) return new Response("no such object", { status: 404 });
    const range = /^bytes=(\d+)-$/.exec(req.headers.get("range") ?? "");
    const start = range !== null && !this.ignoreRange ? Number(range[1]) : 0;
    const total = file.content.byteLength;
    const headers: Record<string, string> = { ETag: `"cdn-${hash.slice(0, 8)}"`, "Accept-Ranges": "bytes" };
    if (start >= total && start > 0) return new Response(null, { status: 416, headers });
    const body = file.content.subarray(start);
    if (start > 0) headers["Content-Range"] = `bytes ${start}-${total - 1}/${total}`;
    const status = start > 0 ? 206 : 200;
    if (this.cutTimes > 0) {
      this.cutTimes--;
      return new Response(cutStream(body, this.cutAfterBytes), { status, headers });
    }
    return new Response(body, { status, headers: { ...headers, "Content-Length": String(body.byteLength) } });
  }
}

function notFound(code: string): Response {
  return new Response(code, { status: 404, headers: { "X-Error-Code": code } });
}

function cutStream(body: Uint8Array, after: number): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async start(controller) {
      controller.enqueue(body.slice(0, after));
      await Bun.sleep(20);
      // Erroring the body resets the connection; an undefined reason keeps Bun from logging it.
      controller.error(undefined);
    },
  });
}
