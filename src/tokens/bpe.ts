/**
 * A compact byte-pair encoder for OpenAI's tiktoken encodings (o200k_base, cl100k_base).
 *
 * gpt-tokenizer's own encoder holds the rank table as a JavaScript array and a Map of 200,000
 * strings, and loading it parses a 4 MB array literal: about 60 MB of resident memory per process,
 * more than everything else llmbatch keeps during a run. Here the same table (read from
 * gpt-tokenizer's `.tiktoken` data file) lives in three typed arrays, about 5 MB, and loads in
 * tens of milliseconds. The pre-tokenizing regexes are gpt-tokenizer's, and the merge is tiktoken's
 * (lowest rank first, leftmost on ties), so counts are identical; test/tokens/bpe.test.ts checks
 * that against gpt-tokenizer on a varied corpus.
 *
 * Special tokens are not recognised: `<|endoftext|>` in a user's text is plain text to the chat
 * API, and is counted here as such.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

export type EncodingName = "o200k_base" | "cl100k_base";

const NONE = -1;
const UTF8 = new TextDecoder();

/** The rank table: every token's bytes, and an open-addressing hash from bytes to rank. */
class RankTable {
  private readonly bytes: Uint8Array;
  /** Start of rank r's bytes in `bytes`; its length is `ends[r] - starts[r]`. */
  private readonly starts: Uint32Array;
  private readonly ends: Uint32Array;
  /** rank + 1 per slot, 0 for empty; size a power of two, at most half full. */
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(tiktoken: Uint8Array) {
    // Typed arrays throughout, even while loading: a JavaScript array of 600,000 numbers would
    // grow the heap by more than the finished table takes.
    let lines = 0;
    for (let i = 0; i < tiktoken.length; i++) if (tiktoken[i] === 0x0a) lines++;
    if (tiktoken.length > 0 && tiktoken[tiktoken.length - 1] !== 0x0a) lines++;
    const lineRank = new Uint32Array(lines);
    const lineStart = new Uint32Array(lines);
    const lineEnd = new Uint32Array(lines);
    const raw = new Uint8Array(Math.ceil((tiktoken.length * 3) / 4));
    let used = 0;
    let maxRank = -1;
    let count = 0;
    // Lines are `<base64 of the token's bytes> <rank>\n`.
    for (let i = 0; i < tiktoken.length; ) {
      const start = used;
      let quad = 0;
      let n = 0;
      for (; i < tiktoken.length && tiktoken[i] !== 0x20; i++) {
        const v = BASE64[tiktoken[i]!]!;
        if (v === 64) continue; // '=' padding
        if (v === 255) throw new Error(`bad base64 byte ${tiktoken[i]} in a .tiktoken file`);
        quad = (quad << 6) | v;
        if (++n === 4) {
          raw[used++] = quad >> 16;
          raw[used++] = (quad >> 8) & 0xff;
          raw[used++] = quad & 0xff;
          quad = 0;
          n = 0;
        }
      }
      if (n === 3) {
        raw[used++] = quad >> 10;
        raw[used++] = (quad >> 2) & 0xff;
      } else if (n === 2) {
        raw[used++] = quad >> 4;
      }
      let rank = 0;
      for (i++; i < tiktoken.length && tiktoken[i] !== 0x0a; i++) rank = rank * 10 + (tiktoken[i]! - 0x30);
      i++;
      if (used > start) {
        lineRank[count] = rank;
        lineStart[count] = start;
        lineEnd[count] = used;
        count++;
        if (rank > maxRank) maxRank = rank;
      }
    }
    this.bytes = raw.slice(0, used);
    this.starts = new Uint32Array(maxRank + 1);
    this.ends = new Uint32Array(maxRank + 1);
    let size = 1;
    while (size < 2 * count) size <<= 1;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let k = 0; k < count; k++) {
      const rank = lineRank[k]!;
      const start = lineStart[k]!;
      const end = lineEnd[k]!;
      this.starts[rank] = start;
      this.ends[rank] = end;
      let slot = hash(this.bytes, start, end) & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = rank + 1;
    }
  }

  /** The rank of `buf[start, end)`, or NONE. */
  rank(buf: Uint8Array, start: number, end: number): number {
    const len = end - start;
    let slot = hash(buf, start, end) & this.mask;
    for (;;) {
      const entry = this.slots[slot]!;
      if (entry === 0) return NONE;
      const rank = entry - 1;
      const s = this.starts[rank]!;
      if (this.ends[rank]! - s === len) {
        let i = 0;
        while (i < len && this.bytes[s + i] === buf[start + i]) i++;
        if (i === len) return rank;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  tokenBytes(rank: number): Uint8Array {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.starts.length || this.ends[rank] === this.starts[rank]) {
      throw new Error(`token ${rank} is not in the encoding`);
    }
    return this.bytes.subarray(this.starts[rank], this.ends[rank]);
  }
}

const BASE64 = (() => {
  const table = new Uint8Array(256).fill(255);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  table[0x3d] = 64; // '='
  return table;
})();

/** FNV-1a over bytes. */
function hash(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}

/** Pieces up to this many bytes merge by a linear scan (tiktoken's way); longer ones use a heap. */
const LINEAR_MERGE_LIMIT = 128;

export class BpeEncoding {
  private readonly encoder = new TextEncoder();
  private scratch = new Uint8Array(1024);
  // Merge state, reused across pieces: part boundaries and the rank of each part with its successor.
  private starts = new Int32Array(LINEAR_MERGE_LIMIT + 2);
  private ranks = new Int32Array(LINEAR_MERGE_LIMIT + 2);

  constructor(
    readonly name: EncodingName,
    private readonly table: RankTable,
    private readonly splitRegex: RegExp,
  ) {}

  /** Number of tokens in `text`. */
  count(text: string): number {
    let total = 0;
    this.forEachPiece(text, (len) => {
      total += this.table.rank(this.scratch, 0, len) !== NONE ? 1 : this.merge(len, undefined);
    });
    return total;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    this.forEachPiece(text, (len) => {
      const whole = this.table.rank(this.scratch, 0, len);
      if (whole !== NONE) out.push(whole);
      else this.merge(len, out);
    });
    return out;
  }

  decode(tokens: readonly number[]): string {
    const parts = tokens.map((t) => this.table.tokenBytes(t));
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return UTF8.decode(all);
  }

  /** Calls `fn` with each pre-token piece's UTF-8 length, its bytes in `this.scratch`. */
  private forEachPiece(text: string, fn: (len: number) => void): void {
    const re = this.splitRegex;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const piece = m[0];
      if (piece.length * 3 > this.scratch.length) this.scratch = new Uint8Array(piece.length * 3);
      fn(this.encoder.encodeInto(piece, this.scratch).written!);
    }
  }

  /** BPE over `scratch[0, len)`: the token count, and the tokens pushed onto `out` if given. */
  private merge(len: number, out: number[] | undefined): number {
    if (len > LINEAR_MERGE_LIMIT) return this.mergeWithHeap(len, out);
    const { starts, ranks, table, scratch } = this;
    // Parts are starts[0..n-1] with starts[n] = len; ranks[i] is the rank of parts i and i+1 joined.
    let n = len;
    for (let i = 0; i <= len; i++) starts[i] = i;
    for (let i = 0; i < n - 1; i++) ranks[i] = table.rank(scratch, i, i + 2);
    ranks[n - 1] = NONE;
    for (;;) {
      let best = NONE;
      let at = -1;
      for (let i = 0; i < n - 1; i++) {
        const r = ranks[i]!;
        if (r !== NONE && (best === NONE || r < best)) {
          best = r;
          at = i;
        }
      }
      if (at < 0) break;
      // Join parts at and at+1.
      starts.copyWithin(at + 1, at + 2, n + 1);
      ranks.copyWithin(at + 1, at + 2, n);
      n--;
      ranks[at] = at + 1 < n ? table.rank(scratch, starts[at]!, starts[at + 2]!) : NONE;
      if (at > 0) ranks[at - 1] = table.rank(scratch, starts[at - 1]!, starts[at + 1]!);
    }
    if (out) for (let i = 0; i < n; i++) out.push(this.partRank(starts[i]!, starts[i + 1]!));
    return n;
  }

  /**
   * The same merge in O(n log n) for long pieces (a run of 100,000 letters would take 10^10 steps
   * by scanning): parts as a linked list, candidate joins in a min-heap keyed by (rank, start),
   * which pops the lowest rank and the leftmost among equals, as the scan does.
   */
  private mergeWithHeap(len: number, out: number[] | undefined): number {
    const { table, scratch } = this;
    const next = new Int32Array(len + 1); // part starting at i ends at next[i]
    const prev = new Int32Array(len + 1);
    for (let i = 0; i <= len; i++) {
      next[i] = i + 1;
      prev[i] = i - 1;
    }
    // Heap of joins: rank and the left part's start, with the right part's end to detect staleness.
    const heapRank: number[] = [];
    const heapStart: number[] = [];
    const heapEnd: number[] = [];
    const less = (a: number, b: number) => heapRank[a]! < heapRank[b]! || (heapRank[a] === heapRank[b] && heapStart[a]! < heapStart[b]!);
    const swap = (a: number, b: number) => {
      [heapRank[a], heapRank[b]] = [heapRank[b]!, heapRank[a]!];
      [heapStart[a], heapStart[b]] = [heapStart[b]!, heapStart[a]!];
      [heapEnd[a], heapEnd[b]] = [heapEnd[b]!, heapEnd[a]!];
    };
    const push = (start: number) => {
      const mid = next[start]!;
      if (mid >= len) return;
      const end = next[mid]!;
      const r = table.rank(scratch, start, end);
      if (r === NONE) return;
      let i = heapRank.length;
      heapRank.push(r);
      heapStart.push(start);
      heapEnd.push(end);
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!less(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    };
    const pop = () => {
      const last = heapRank.length - 1;
      swap(0, last);
      heapRank.pop();
      heapStart.pop();
      heapEnd.pop();
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < last && less(l, m)) m = l;
        if (r < last && less(r, m)) m = r;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
    };
    const alive = new Uint8Array(len + 1).fill(1);
    for (let i = 0; i < len; i++) push(i);
    let n = len;
    while (heapRank.length > 0) {
      const start = heapStart[0]!;
      const end = heapEnd[0]!;
      pop();
      const mid = next[start]!;
      // Stale: the left part was absorbed, or either part has changed since this join was pushed.
      if (!alive[start] || mid >= len || next[mid] !== end) continue;
      alive[mid] = 0;
      next[start] = end;
      if (end <= len) prev[end] = start;
      n--;
      push(start);
      if (prev[start]! >= 0) push(prev[start]!);
    }
    if (out) for (let s = 0; s < len; s = next[s]!) out.push(this.partRank(s, next[s]!));
    return n;
  }

  private partRank(start: number, end: number): number {
    const r = this.table.rank(this.scratch, start, end);
    if (r === NONE) throw new Error("byte-pair merge left a part that is not a token");
    return r;
  }
}

const requireCjs = createRequire(import.meta.url);
const loaded = new Map<EncodingName, BpeEncoding>();

/** The encoding, loaded on first use (tens of milliseconds, about 5 MB) and kept for the process. */
export function bpeEncoding(name: EncodingName): BpeEncoding {
  let enc = loaded.get(name);
  if (!enc) {
    const file = readFileSync(requireCjs.resolve(`gpt-tokenizer/data/${name}.tiktoken`));
    const { CL100K_TOKEN_SPLIT_REGEX, O200K_TOKEN_SPLIT_REGEX } = requireCjs("gpt-tokenizer/encodingParams/constants") as {
      CL100K_TOKEN_SPLIT_REGEX: RegExp;
      O200K_TOKEN_SPLIT_REGEX: RegExp;
    };
    const regex = name === "o200k_base" ? O200K_TOKEN_SPLIT_REGEX : CL100K_TOKEN_SPLIT_REGEX;
    // A private copy: the `g` regex carries lastIndex state.
    enc = new BpeEncoding(name, new RankTable(file), new RegExp(regex.source, regex.flags));
    loaded.set(name, enc);
  }
  return enc;
}
