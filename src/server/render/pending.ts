/** Batches one choice's deltas until `--stream-interval` tokens have arrived. */
import type { DeltaEvent, TokenLogprob } from "../../engine/protocol.ts";

/**
 * Accumulates delta text, token count and logprobs; `ready` once `interval` tokens are held.
 *
 * @example
 *   const p = new PendingDelta(2); p.add(delta); if (p.ready) emit(p.take());
 */
export class PendingDelta {
  text = "";
  tokens = 0;
  logprobs: TokenLogprob[] = [];

  constructor(private readonly interval: number) {}

  add(event: DeltaEvent): void {
    this.text += event.text;
    this.tokens += event.tokenIds.length;
    if (event.logprobs) this.logprobs.push(...event.logprobs);
  }

  get ready(): boolean {
    return this.tokens >= this.interval;
  }

  take(): { text: string; logprobs: TokenLogprob[] } {
    const out = { text: this.text, logprobs: this.logprobs };
    this.text = "";
    this.tokens = 0;
    this.logprobs = [];
    return out;
  }
}
