import { describe, expect, test } from "bun:test";
import { renderMarkdown } from "./markdown.ts";

describe("renderMarkdown", () => {
  test("code blocks are highlighted and labelled; unknown languages are escaped text", () => {
    const html = renderMarkdown("```python\ndef f(x):\n    return x\n```");
    expect(html).toContain('<span class="code-lang">python</span>');
    expect(html).toContain('<span class="hljs-keyword">def</span>');
    expect(renderMarkdown("```nosuchlang\n<b>x</b>\n```")).toContain("&lt;b&gt;x&lt;/b&gt;");
  });

  test("a code block has a Copy button beside its label, outside the code", () => {
    const html = renderMarkdown("```js\nlet a = 1;\n```");
    expect(html).toStartWith('<div class="code-block"><span class="code-lang">js</span><button type="button" class="copy-code"');
    expect(html).toContain('>Copy</button><pre class="code"><code class="hljs">');
    expect(renderMarkdown("```\nplain\n```")).toContain('<div class="code-block"><button type="button" class="copy-code"');
  });

  test("GFM tables", () => {
    const html = renderMarkdown("| a | b |\n|---|---|\n| 1 | 2 |");
    expect(html).toContain("<table>");
    expect(html).toContain("<td>2</td>");
  });

  test("math: inline $…$ and \\(…\\), display $$…$$ and \\[…\\] go through KaTeX; prices stay text", () => {
    expect(renderMarkdown("Euler: $e^{i\\pi}+1=0$.")).toContain('class="katex"');
    expect(renderMarkdown("so \\(x^2\\) holds")).toContain('class="katex"');
    const display = renderMarkdown("$$\n\\int_0^1 x\\,dx = \\tfrac12\n$$");
    expect(display).toContain('<div class="math">');
    expect(display).toContain('class="katex-display"');
    expect(renderMarkdown("\\[a+b\\]")).toContain('class="katex-display"');
    expect(renderMarkdown("It costs $5 and $10 today.")).not.toContain("katex");
  });

  test("raw HTML is shown as text; only http(s) and mailto links; no remote images", () => {
    const html = renderMarkdown('<img src=x onerror="alert(1)"> <script>alert(1)</script>');
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<script");
    expect(html).toContain("&lt;script&gt;");
    expect(renderMarkdown("[site](https://example.com)")).toContain('<a href="https://example.com" target="_blank" rel="noopener noreferrer">site</a>');
    expect(renderMarkdown("[x](javascript:alert(1))")).not.toContain("<a");
    expect(renderMarkdown("![cat](https://example.com/cat.png)")).not.toContain("<img");
  });

  test("a broken formula does not throw", () => {
    expect(() => renderMarkdown("$\\frac{1}{$")).not.toThrow();
  });
});
