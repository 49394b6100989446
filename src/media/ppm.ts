/** A streaming reader of concatenated binary PPM (P6) frames, as `ffmpeg -f image2pipe -c:v ppm` writes them. */
import { MediaError, overPixelLimit } from "./errors.ts";
import type { RgbImage } from "./image.ts";

const HEADER = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/;

/**
 * Push bytes in; each complete frame is handed to `onFrame` with its index, then dropped unless kept.
 *
 * @example
 *   const ppm = new PpmStream(64e6, (frame, i) => frames.push(frame));
 *   ppm.push(chunk);
 */
export class PpmStream {
  #chunks: Uint8Array[] = [];
  #length = 0;
  #need = 0;
  #index = 0;

  constructor(
    private readonly maxPixels: number,
    private readonly onFrame: (frame: RgbImage, index: number) => void,
  ) {}

  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    while (this.#length >= Math.max(this.#need, 1)) {
      const buffer = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
      this.#chunks = [buffer];
      const head = HEADER.exec(new TextDecoder("latin1").decode(buffer.subarray(0, 64)));
      if (!head) {
        if (buffer.length >= 64) throw new MediaError("ffmpeg wrote a frame this server cannot read");
        this.#need = buffer.length + 1;
        return;
      }
      const width = Number(head[1]);
      const height = Number(head[2]);
      if (Number(head[3]) !== 255) throw new MediaError("ffmpeg wrote frames that are not 8-bit");
      if (width * height > this.maxPixels) throw new MediaError(overPixelLimit("video", width, height, this.maxPixels));
      const size = head[0].length + width * height * 3;
      if (buffer.length < size) {
        this.#need = size;
        return;
      }
      this.onFrame({ width, height, data: buffer.slice(head[0].length, size) }, this.#index++);
      const rest = buffer.subarray(size);
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#length = rest.length;
      this.#need = 0;
    }
  }
}
