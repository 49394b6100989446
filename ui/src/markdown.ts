/**
 * Markdown for model answers: GitHub-flavoured (tables), code highlighted by highlight.js (a few common
 * languages), math typeset by KaTeX (`$…$`, `$$…$$`, `\(…\)`, `\[…\]`). Raw HTML in the answer is shown as
 * text and links only go to http(s) or mailto: the model's output is not trusted.
 */
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import css from "highlight.js/lib/languages/css";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import katex from "katex";
import { Marked, type Tokens } from "marked";

const LANGUAGES = { bash, c, cpp, css, go, java, javascript, json, python, rust, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);
for (const [alias, name] of [["sh", "bash"], ["shell", "bash"], ["js", "javascript"], ["ts", "typescript"], ["py", "python"],
  ["html", "xml"], ["yml", "yaml"], ["rs", "rust"], ["c++", "cpp"]] as const) hljs.registerAliases(alias, { languageName: name });

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);
}

function tex(source: string, displayMode: boolean): string {
  return katex.renderToString(source, { displayMode, throwOnError: false, output: "htmlAndMathml", trust: false, strict: "ignore" });
}

interface MathToken extends Tokens.Generic {
  text: string;
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  extensions: [
    {
      name: "blockMath",
      level: "block",
      start: (src: string) => src.match(/^ {0,3}(\$\$|\\\[)/m)?.index,
      tokenizer(src: string) {
        const m = /^ {0,3}(?:\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\])[ \t]*(?:\n|$)/.exec(src);
        if (m) return { type: "blockMath", raw: m[0], text: (m[1] ?? m[2] ?? "").trim() };
        return undefined;
      },
      renderer: (token) => `<div class="math">${tex((token as MathToken).text, true)}</div>`,
    },
    {
      name: "inlineMath",
      level: "inline",
      start: (src: string) => src.match(/\$|\\\(/)?.index,
      tokenizer(src: string) {
        const m = /^(?:\$\$([^$]+?)\$\$|\$(?![\s\d])((?:\\\$|[^$\n])+?)(?<!\s)\$(?!\d)|\\\(([\s\S]+?)\\\))/.exec(src);
        if (m) return { type: "inlineMath", raw: m[0], text: m[1] ?? m[2] ?? m[3] ?? "", display: m[1] !== undefined };
        return undefined;
      },
      renderer: (token) => tex((token as MathToken).text, (token as MathToken & { display: boolean }).display),
    },
  ],
  renderer: {
    code({ text, lang }: Tokens.Code) {
      const language = (lang ?? "").trim().split(/\s+/)[0] ?? "";
      const known = language !== "" && hljs.getLanguage(language) !== undefined;
      const body = known ? hljs.highlight(text, { language, ignoreIllegals: true }).value : escapeHtml(text);
      const label = language ? `<span class="code-lang">${escapeHtml(language)}</span>` : "";
      // The copy button is wired by the page (message-view.tsx): it copies the <code>'s text, never the label.
      const copy = '<button type="button" class="copy-code" title="Copy the code" aria-live="polite">Copy</button>';
      return `<div class="code-block">${label}${copy}<pre class="code"><code class="hljs">${body}</code></pre></div>\n`;
    },
    html({ text }: Tokens.HTML | Tokens.Tag) {
      return escapeHtml(text);
    },
    link({ href, text, tokens }: Tokens.Link) {
      const inner = tokens ? this.parser.parseInline(tokens) : escapeHtml(text);
      if (!/^(https?:|mailto:)/i.test(href)) return inner;
      return `<a href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer">${inner}</a>`;
    },
    image({ href, text }: Tokens.Image) {
      // No remote images: an answer must not make the browser fetch from elsewhere.
      return `<span class="image-ref">[image: ${escapeHtml(text || href)}]</span>`;
    },
  },
});

/** Renders Markdown to HTML that is safe to insert. */
export function renderMarkdown(text: string): string {
  return marked.parse(text, { async: false });
}
