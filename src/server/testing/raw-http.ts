/** A raw TCP client for tests that need bytes a normal HTTP client never sends (pipelining, HTTP/1.0, junk). */
import { connect, type Socket } from "node:net";

/** One raw connection: what was received so far, and whether the server closed it. */
export class RawConnection {
  received = "";
  closed = false;
  readonly #socket: Socket;
  readonly #opened: Promise<void>;
  #waiters: (() => void)[] = [];

  constructor(port: number, host = "127.0.0.1") {
    this.#socket = connect(port, host);
    this.#opened = new Promise((resolve, reject) => {
      this.#socket.once("connect", () => resolve());
      this.#socket.once("error", reject);
    });
    this.#socket.on("error", () => undefined);
    this.#socket.on("data", (chunk) => {
      this.received += chunk.toString("latin1");
      this.#wake();
    });
    this.#socket.on("close", () => {
      this.closed = true;
      this.#wake();
    });
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async send(data: string): Promise<void> {
    await this.#opened;
    this.#socket.write(data);
  }

  /** Waits until `done(received)` holds or the connection closes; throws after `timeoutMs`. */
  async until(done: (received: string) => boolean, timeoutMs = 3000): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    while (!done(this.received) && !this.closed) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out; received so far: ${JSON.stringify(this.received.slice(0, 500))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received;
  }

  /** Waits for the server to close the connection. */
  async closedByServer(timeoutMs = 3000): Promise<void> {
    await this.until(() => false, timeoutMs);
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

/** How many complete `HTTP/1.x NNN` status lines `text` holds, in order. */
export function statusLines(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
}

/** A raw HTTP/1.1 POST with a JSON body. */
export function rawPost(path: string, body: unknown, headers: Record<string, string> = {}): string {
  const text = JSON.stringify(body);
  const extra = Object.entries({ host: "127.0.0.1", "content-type": "application/json", ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  return `POST ${path} HTTP/1.1\r\n${extra}content-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
}
