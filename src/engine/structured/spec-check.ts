/**
 * Checks that a request's constraint compiles, off the HTTP thread and within a time limit. xgrammar's WASM
 * cannot be interrupted, and some small specs take it minutes and gigabytes (the regex
 * `((a{1,1000}){1,1000}){1,300}` builds for about 45 s): run on the server's thread, one such request stopped
 * every other request, `/health` included. Here the build runs on a thread of its own, one spec at a time; past
 * the limit the thread is ended (its memory with it) and the spec refused as too complex, and the next spec
 * starts a fresh thread.
 */
import { specParam } from "./compiler.ts";
import type { SpecCheckAnswer, SpecCheckAsk } from "./spec-check-thread.ts";
import { checkSpec, StructuredOutputError, type StructuredOutputSpec } from "./spec.ts";
import { threadEntry } from "../thread-entry.ts";

const SPEC_CHECK_THREAD = threadEntry("./src/engine/structured/spec-check-thread.ts", "./spec-check-thread.ts",
  import.meta.url);

/** Most ms a spec's grammar may take to build before it is refused (honest schemas take milliseconds). */
export const SPEC_CHECK_TIMEOUT_MS = 5_000;

/**
 * @example
 *   const checker = new SpecChecker();
 *   await checker.check({ type: "regex", pattern: "[0-9]+" }); // resolves; a bad or too slow spec throws StructuredOutputError
 */
export class SpecChecker {
  #worker: Worker | null = null;
  #nextId = 1;
  /** The end of the last queued check: checks run one at a time, so each one's time limit is its own. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(readonly timeoutMs = SPEC_CHECK_TIMEOUT_MS, readonly specifier = SPEC_CHECK_THREAD) {}

  /** Throws {@link StructuredOutputError} for a spec that does not compile or takes longer than `timeoutMs` to. */
  check(spec: StructuredOutputSpec): Promise<void> {
    const param = specParam(spec);
    checkSpec(spec, param); // the cheap checks here: they name the keyword without a thread
    const run = this.#tail.then(() => this.#run(spec, param));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Ends the thread (a check in flight is refused). */
  close(): void {
    this.#worker?.terminate();
    this.#worker = null;
  }

  #run(spec: StructuredOutputSpec, param: string): Promise<void> {
    const worker = (this.#worker ??= this.#start());
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        worker.removeEventListener("message", onMessage);
        worker.removeEventListener("error", onError);
      };
      const onMessage = (event: MessageEvent<SpecCheckAnswer>) => {
        const answer = event.data;
        if (answer.id !== id) return;
        done();
        if (answer.ok) resolve();
        else reject(answer.param ? new StructuredOutputError(answer.message, answer.param) : new Error(answer.message));
      };
      const onError = (event: ErrorEvent) => {
        event.preventDefault();
        done();
        this.#drop(worker);
        reject(new Error(`the spec-check thread crashed: ${event.message || "unknown error"}`));
      };
      const timer = setTimeout(() => {
        done();
        this.#drop(worker);
        reject(new StructuredOutputError(
          `${param}: the constraint is too complex (its grammar took more than ${this.timeoutMs / 1000} s to build)`, param));
      }, this.timeoutMs);
      worker.addEventListener("message", onMessage);
      worker.addEventListener("error", onError);
      worker.postMessage({ id, spec } satisfies SpecCheckAsk);
    });
  }

  #start(): Worker {
    const worker = new Worker(this.specifier);
    worker.unref();
    return worker;
  }

  /** Ends a thread that timed out or crashed; the next check starts a fresh one. */
  #drop(worker: Worker): void {
    worker.terminate();
    if (this.#worker === worker) this.#worker = null;
  }
}
