import { describe, expect, test } from "bun:test";
import { extractZipMember, ZipError, zipEntries } from "./gguf-zip.ts";
import { buildZip } from "./gguf-testing.ts";

const text = (s: string) => new TextEncoder().encode(s);
const big = text("GGUF".padEnd(50_000, "abcdefgh"));

describe("zip reading", () => {
  const zip = buildZip([
    { name: "pkg/__init__.py", data: text("print('hi')\n"), deflate: false },
    { name: "pkg/model.gguf", data: big, deflate: true },
  ]);

  test("lists members with method and sizes", () => {
    const entries = zipEntries(zip);
    expect(entries.map((e) => [e.name, e.method, e.size])).toEqual([
      ["pkg/__init__.py", 0, 12],
      ["pkg/model.gguf", 8, 50_000],
    ]);
    expect(entries[1]!.compressedSize).toBeLessThan(1000);
  });

  test("extracts stored and deflated members byte for byte", () => {
    expect(new TextDecoder().decode(extractZipMember(zip, "pkg/__init__.py"))).toBe("print('hi')\n");
    expect(Buffer.from(extractZipMember(zip, "pkg/model.gguf")).equals(Buffer.from(big))).toBe(true);
  });

  test("finds the directory behind an archive comment", () => {
    const withComment = new Uint8Array(zip.byteLength + 5);
    withComment.set(zip);
    withComment.set(text("notes"), zip.byteLength);
    new DataView(withComment.buffer).setUint16(zip.byteLength - 2, 5, true);
    expect(extractZipMember(withComment, "pkg/__init__.py").byteLength).toBe(12);
  });

  test("a missing member, a corrupt member and a non-zip are ZipErrors", () => {
    expect(() => extractZipMember(zip, "pkg/other.gguf")).toThrow(/no member 'pkg\/other.gguf'/);
    const corrupt = zip.slice();
    const body = 30 + "pkg/__init__.py".length;
    corrupt[body] = corrupt[body]! ^ 0xff;
    expect(() => extractZipMember(corrupt, "pkg/__init__.py")).toThrow(ZipError);
    expect(() => extractZipMember(corrupt, "pkg/__init__.py")).toThrow(/CRC-32/);
    expect(() => zipEntries(text("this is not a zip archive at all"))).toThrow(/not a zip file/);
  });
});
