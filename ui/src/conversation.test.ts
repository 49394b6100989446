import { describe, expect, test } from "bun:test";
import { requestMessages, withoutFailedTurn } from "./conversation.ts";
import type { ChatMessage } from "./store.ts";

const user = (id: string, content: string): ChatMessage => ({ id, role: "user", content });
const answer = (id: string, content: string, error?: string): ChatMessage => ({ id, role: "assistant", content, ...(error ? { error } : {}) });

describe("a failed answer's turn", () => {
  test("a new message takes the place of the question whose answer failed before any text", () => {
    const ok = [user("1", "Hi"), answer("2", "Hello")];
    expect(withoutFailedTurn([...ok, user("3", "too long"), answer("4", "", "The answer failed: too long")])).toEqual(ok);
    expect(withoutFailedTurn([user("3", "too long"), answer("4", "", "failed")])).toEqual([]);
  });

  test("an answer that failed after some text, or that did not fail, stays", () => {
    const partial = [user("1", "Hi"), answer("2", "Hel", "The stream broke off")];
    expect(withoutFailedTurn(partial)).toBe(partial);
    const done = [user("1", "Hi"), answer("2", "Hello")];
    expect(withoutFailedTurn(done)).toBe(done);
  });

  test("the request never has two questions in a row: failed turns anywhere are left out", () => {
    const history = [user("1", "too long"), answer("2", "", "failed"), user("3", "Hi"), answer("4", "Hello"), user("5", "More")];
    expect(requestMessages("Be brief.", history)).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello" },
      { role: "user", content: "More" },
    ]);
  });

  test("answers are sent without their <think> reasoning", () => {
    const history = [user("1", "Hi"), answer("2", "<think>greet</think>\n\nHello!"), user("3", "Again")];
    expect(requestMessages("", history).map((m) => m.content)).toEqual(["Hi", "Hello!", "Again"]);
  });
});
