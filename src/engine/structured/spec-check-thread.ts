/**
 * The spec-check thread's entry module (a Bun Worker that request-spec.ts starts on first use): it builds each
 * request's grammar once without a vocabulary ({@link validateSpec}), so that a constraint that is slow to build
 * (a regex of nested repetitions takes minutes) never runs on the thread that serves HTTP, and can be stopped.
 * `bun build --compile` needs this file as an extra entrypoint (scripts/build.ts adds it).
 */
import { validateSpec } from "./compiler.ts";
import { StructuredOutputError, type StructuredOutputSpec } from "./spec.ts";

declare const self: Worker;

export interface SpecCheckAsk {
  id: number;
  spec: StructuredOutputSpec;
}

export type SpecCheckAnswer = { id: number; ok: true } | { id: number; ok: false; message: string; param?: string };

self.onmessage = async (event: MessageEvent<SpecCheckAsk>) => {
  const { id, spec } = event.data;
  try {
    await validateSpec(spec);
    self.postMessage({ id, ok: true } satisfies SpecCheckAnswer);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    self.postMessage({ id, ok: false, message, ...(e instanceof StructuredOutputError ? { param: e.param } : {}) } satisfies SpecCheckAnswer);
  }
};
