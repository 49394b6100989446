/** Readable sentences from failed responses: never the markup of an HTML error page (a proxy's 502, say). */

/** A readable sentence from an error response: OpenAI's `{error: {message}}`, an HTML page's title, else the status. */
export async function errorMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  const status = `${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
  const type = res.headers.get("content-type") ?? "";
  if (/html/i.test(type) || /^\s*<(!doctype|html|head|body|title|\w+[\s>])/i.test(text)) {
    const page = htmlSummary(text);
    if (page === "") return `The server answered HTTP ${status}.`;
    // nginx's "502 Bad Gateway" says the status itself.
    if (page.startsWith(`${res.status} `) || page === String(res.status)) return `The server answered HTTP ${page}.`;
    return `The server answered HTTP ${status}: ${page}`;
  }
  let message = "";
  try {
    const body = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    message = typeof body.error === "string" ? body.error : (body.error?.message ?? body.message ?? "");
  } catch {
    message = text.trim().slice(0, 300);
  }
  return message ? `${message} (HTTP ${status})` : `The server answered HTTP ${status}.`;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[\da-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/**
 * An HTML page in a few words of text: its `<title>`, else its first text; at most 160 characters, no markup.
 *
 * @example
 *   htmlSummary("<html><head><title>502 Bad Gateway</title></head><body>…</body></html>") // "502 Bad Gateway"
 */
export function htmlSummary(html: string): string {
  const clean = (s: string) => decodeEntities(s.replace(/<[^>]*>?/g, " ")).replace(/\s+/g, " ").trim();
  const title = clean(/<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1] ?? "");
  const text = title || clean(html.replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, " ").replace(/<!--[\s\S]*?-->/g, " "));
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}
