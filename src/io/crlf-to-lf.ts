import { Transform, type TransformCallback } from "node:stream";

/**
 * Rewrites `\r\n` as `\n` in a byte stream, including a pair split across two chunks.
 *
 * Why: csv-parse counts a `\r\n` inside a quoted field as two lines, so every record after a
 * quoted multi-line cell in a Windows file would report a wrong line number. With LF only its
 * count is exact. The cost is that a quoted cell's CRLF reaches the prompt as LF, which means
 * the same to a model. Lone `\r` bytes are left alone.
 */
export class CrlfToLf extends Transform {
  /** The previous chunk ended in `\r`, held back until we know whether `\n` follows. */
  #pendingCr = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let buf = chunk;
    if (this.#pendingCr) {
      this.#pendingCr = false;
      // A `\n` next means the held `\r` was half of a CRLF: drop it; otherwise it was data.
      if (buf[0] !== 0x0a) this.push(Buffer.from([0x0d]));
    }
    if (buf.length > 0 && buf[buf.length - 1] === 0x0d) {
      this.#pendingCr = true;
      buf = buf.subarray(0, buf.length - 1);
    }
    callback(null, dropCrBeforeLf(buf));
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.#pendingCr ? Buffer.from([0x0d]) : undefined);
  }
}

function dropCrBeforeLf(buf: Buffer): Buffer {
  let cr = buf.indexOf(0x0d);
  if (cr === -1) return buf; // the common case: no copy
  const out = Buffer.allocUnsafe(buf.length);
  let from = 0;
  let size = 0;
  while (cr !== -1) {
    if (buf[cr + 1] === 0x0a) {
      size += buf.copy(out, size, from, cr);
      from = cr + 1;
    }
    cr = buf.indexOf(0x0d, cr + 1);
  }
  size += buf.copy(out, size, from);
  return out.subarray(0, size);
}
