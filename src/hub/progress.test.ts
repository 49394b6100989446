import { describe, expect, test } from "bun:test";
import { FileProgress, formatBytes, progressSink, renderBar } from "./progress.ts";

describe("progress", () => {
  test("formatBytes", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(5 * 1024 ** 3)).toBe("5.0 GB");
  });

  test("renderBar shows percent, bar, bytes, rate and ETA", () => {
    expect(renderBar("model.safetensors", 512, 1024, 256, 2)).toBe(
      "model.safetensors  50% |██████████          | 512 B/1.0 KB 256 B/s ETA 00:02",
    );
    expect(renderBar("x", 0, 10, 0, Infinity)).toContain("ETA --:--");
    expect(renderBar("x", 10, 10, 1, 3725)).toContain("100% |████████████████████|");
    expect(renderBar("x", 1, 10, 1, 3725)).toContain("ETA 1:02:05");
  });

  test("draws only on a TTY and not when quiet", () => {
    const tty = { isTTY: true, write: () => true };
    expect(progressSink(false, tty)).toBe(tty);
    expect(progressSink(true, tty)).toBeUndefined();
    expect(progressSink(false, { isTTY: false, write: () => true })).toBeUndefined();
  });

  test("FileProgress writes one line per file that ends with a newline", () => {
    const out: string[] = [];
    const events: number[] = [];
    const p = new FileProgress("f.bin", 100, 40, (e) => events.push(e.downloaded), {
      isTTY: true,
      write: (t: string) => out.push(t),
    });
    p.advance(30);
    p.advance(30);
    p.finish();
    expect(events).toEqual([70, 100, 100]);
    expect(out.at(-1)!.endsWith("\n")).toBe(true);
    expect(out.at(-1)).toContain("f.bin 100% |");
    expect(out.join("").split("\n").length).toBe(2);
  });
});
