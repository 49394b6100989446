/**
 * Seeded benchmark prompts.
 *
 * Without the server's tokenizer, prompts are built from a fixed word list and their token length is
 * calibrated: {@link calibrateWordsPerToken} fits `prompt_tokens = overhead + slope * words` from two probe
 * requests (the server's `usage.prompt_tokens`), and the datasets use that fit to pick word counts. The real
 * prompt lengths are then taken from each response's `usage`, so reports never rely on the estimate.
 */

/** A deterministic PRNG (mulberry32): the same seed gives the same sequence on every platform. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Common English words that most BPE vocabularies hold as one token (with a leading space). */
export const WORDS: readonly string[] = (
  "time year people way day man thing woman life child world school state family student group country " +
  "problem hand part place case week company system program question work government number night point " +
  "home water room mother area money story fact month lot right study book eye job word business issue side " +
  "kind head house service friend father power hour game line end member law car city community name " +
  "president team minute idea kid body information back parent face others level office door health person " +
  "art war history party result change morning reason research girl guy moment air teacher force education " +
  "foot boy age policy music market sense nation plan college interest death experience effect use class " +
  "control care field development role effort rate heart drug show leader light voice wife police mind price " +
  "report decision son view relationship town road arm difference value building action model season society " +
  "tax director position player record paper space ground form event official matter center couple site " +
  "project activity star table need court oil situation cost industry figure street image phone data picture " +
  "practice piece land product doctor wall patient worker news test movie north love support technology step " +
  "baby computer type attention film tree source organization hair window evidence population truth song"
).split(" ");

/** A linear fit of prompt tokens against words: `tokens = overheadTokens + tokensPerWord * words`. */
export interface TokenCalibration {
  overheadTokens: number;
  tokensPerWord: number;
}

/**
 * Fits the calibration from two probes (`words` and the server's `prompt_tokens` for each).
 *
 * @example
 *   calibrateWordsPerToken({ words: 10, tokens: 22 }, { words: 110, tokens: 122 }); // { overheadTokens: 12, tokensPerWord: 1 }
 */
export function calibrateWordsPerToken(
  small: { words: number; tokens: number },
  large: { words: number; tokens: number },
): TokenCalibration {
  if (large.words <= small.words) throw new RangeError("the larger probe must have more words");
  const tokensPerWord = (large.tokens - small.tokens) / (large.words - small.words);
  if (!(tokensPerWord > 0)) throw new RangeError(`probe token counts do not grow with words (${small.tokens}, ${large.tokens})`);
  return { overheadTokens: small.tokens - tokensPerWord * small.words, tokensPerWord };
}

/** Words needed for `tokens` prompt tokens under `calibration` (at least 1). */
export function wordsForTokens(tokens: number, calibration: TokenCalibration, includeOverhead = true): number {
  const budget = tokens - (includeOverhead ? calibration.overheadTokens : 0);
  return Math.max(1, Math.round(budget / calibration.tokensPerWord));
}

/** Builds `count` seeded random words joined by spaces. */
export function randomWords(count: number, random: () => number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(WORDS[Math.floor(random() * WORDS.length)] as string);
  return out.join(" ");
}

/** One benchmark prompt and the output length it asks for. */
export interface BenchPrompt {
  prompt: string;
  /** Target prompt length in tokens (the estimate; the server reports the real one). */
  inputLen: number;
  outputLen: number;
}

export interface RandomDatasetOptions {
  numPrompts: number;
  inputLen: number;
  outputLen: number;
  seed: number;
  calibration: TokenCalibration;
}

/**
 * Prompts of about `inputLen` tokens each, all different (no shared prefix for a prefix cache to hit).
 *
 * @example
 *   const prompts = randomDataset({ numPrompts: 8, inputLen: 256, outputLen: 64, seed: 0,
 *                                    calibration: { overheadTokens: 10, tokensPerWord: 1 } });
 */
export function randomDataset(options: RandomDatasetOptions): BenchPrompt[] {
  const random = seededRandom(options.seed);
  const words = wordsForTokens(options.inputLen, options.calibration);
  return Array.from({ length: options.numPrompts }, (_, i) => ({
    prompt: `${i}: ${randomWords(Math.max(1, words - 1), random)}`,
    inputLen: options.inputLen,
    outputLen: options.outputLen,
  }));
}

export interface PrefixRepetitionOptions {
  numPrompts: number;
  /** Number of distinct shared prefixes (K). */
  numPrefixes: number;
  prefixLen: number;
  suffixLen: number;
  outputLen: number;
  seed: number;
  calibration: TokenCalibration;
}

/**
 * `numPrompts` prompts, each one of K shared prefixes followed by its own suffix; prompts cycle through the
 * prefixes and are shuffled with the seed, so a prefix cache sees repeats interleaved with other prefixes.
 *
 * @example
 *   prefixRepetitionDataset({ numPrompts: 16, numPrefixes: 4, prefixLen: 512, suffixLen: 32, outputLen: 64,
 *                             seed: 0, calibration: { overheadTokens: 10, tokensPerWord: 1.1 } });
 */
export function prefixRepetitionDataset(options: PrefixRepetitionOptions): BenchPrompt[] {
  if (options.numPrefixes < 1) throw new RangeError("numPrefixes must be at least 1");
  const random = seededRandom(options.seed);
  const prefixWords = wordsForTokens(options.prefixLen, options.calibration);
  const suffixWords = wordsForTokens(options.suffixLen, options.calibration, false);
  const prefixes = Array.from({ length: options.numPrefixes }, () => randomWords(prefixWords, random));
  const prompts = Array.from({ length: options.numPrompts }, (_, i) => ({
    prompt: `${prefixes[i % options.numPrefixes]}\n${i}: ${randomWords(suffixWords, random)}`,
    inputLen: options.prefixLen + options.suffixLen,
    outputLen: options.outputLen,
  }));
  for (let i = prompts.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [prompts[i], prompts[j]] = [prompts[j] as BenchPrompt, prompts[i] as BenchPrompt];
  }
  return prompts;
}
