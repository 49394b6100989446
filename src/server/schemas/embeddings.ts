/** `POST /v1/embeddings` (OpenAI), `POST /v1/rerank` (vLLM, Jina, Cohere) and `POST /v1/score` (vLLM) request schemas. */
import { z } from "zod";

/** OpenAI's limit on inputs per embeddings request. */
export const MAX_EMBEDDING_INPUTS = 2048;
/** Documents per rerank request. */
export const MAX_RERANK_DOCUMENTS = 1024;

const tokenId = z.number().int();

/** `input`: a string, strings, token ids, or lists of token ids. */
export const EmbeddingRequest = z.object({
  model: z.string().optional(),
  input: z.union([
    z.string(),
    z.array(z.string()).max(MAX_EMBEDDING_INPUTS),
    z.array(tokenId).max(1_000_000),
    z.array(z.array(tokenId)).max(MAX_EMBEDDING_INPUTS),
  ]),
  encoding_format: z.enum(["float", "base64"]).default("float"),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
});
export type EmbeddingBody = z.infer<typeof EmbeddingRequest>;

const rerankDocument = z.union([z.string(), z.object({ text: z.string() })]);

/** `{query, documents, top_n?, return_documents?}`; documents are strings or `{text}` objects. */
export const RerankRequest = z.object({
  model: z.string().optional(),
  query: z.string(),
  documents: z.array(rerankDocument).max(MAX_RERANK_DOCUMENTS),
  top_n: z.number().int().min(0).optional(),
  return_documents: z.boolean().default(true),
});
export type RerankBody = z.infer<typeof RerankRequest>;

/** vLLM's score API: `text_1` against one or more `text_2`. */
export const ScoreRequest = z.object({
  model: z.string().optional(),
  text_1: z.string(),
  text_2: z.union([z.string(), z.array(z.string()).max(MAX_RERANK_DOCUMENTS)]),
});
