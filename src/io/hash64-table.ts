/**
 * A map from 64-bit keys (two 32-bit halves) to small positive integers, in typed arrays: open
 * addressing with linear probing, 8 bytes of key plus 1 or 4 bytes of value per slot. A million
 * keys take 12–18 MB with `Uint8Array` values (the table grows by half once it is 3/4 full), where
 * a `Map` of the same keys as strings takes ~60 MB.
 *
 * Value 0 marks an empty slot, so values are >= 1 and a key cannot be removed (nothing here needs
 * to). Keys need not be uniform: they are mixed before they pick a slot, so ids a user typed
 * (`c:0000000000000001`, `…02`) do not pile up in one run of slots.
 */

type Values = Uint8Array | Uint32Array;

const MIN_CAPACITY = 64;
const MAX_LOAD = 0.75;

export class Hash64Table {
  #keys: Uint32Array;
  #values: Values;
  #size = 0;
  readonly #makeValues: (n: number) => Values;

  /** `max` is the largest value the table must hold: 255 fits in one byte per slot. */
  constructor(max: 255 | 0xffffffff) {
    this.#makeValues = max === 255 ? (n) => new Uint8Array(n) : (n) => new Uint32Array(n);
    this.#keys = new Uint32Array(2 * MIN_CAPACITY);
    this.#values = this.#makeValues(MIN_CAPACITY);
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes held by the table's arrays (for the memory tests and the README's figures). */
  get bytes(): number {
    return this.#keys.byteLength + this.#values.byteLength;
  }

  /** The value of (hi, lo), or 0 when the key is absent. */
  get(hi: number, lo: number): number {
    const slot = this.#find(hi, lo);
    return this.#values[slot]!;
  }

  /** Sets (hi, lo) to `value` (1..max), adding the key when it is absent. */
  set(hi: number, lo: number, value: number): void {
    let slot = this.#find(hi, lo);
    if (this.#values[slot] === 0) {
      if (this.#size + 1 > this.#values.length * MAX_LOAD) {
        this.#grow();
        slot = this.#find(hi, lo);
      }
      this.#keys[2 * slot] = hi;
      this.#keys[2 * slot + 1] = lo;
      this.#size++;
    }
    this.#values[slot] = value;
  }

  /** The slot holding (hi, lo), or the empty slot where it would go. */
  #find(hi: number, lo: number): number {
    const keys = this.#keys;
    const values = this.#values;
    const capacity = values.length;
    hi >>>= 0;
    lo >>>= 0;
    let slot = startSlot(hi, lo, capacity);
    while (values[slot] !== 0 && (keys[2 * slot] !== hi || keys[2 * slot + 1] !== lo)) {
      if (++slot === capacity) slot = 0;
    }
    return slot;
  }

  #grow(): void {
    const oldKeys = this.#keys;
    const oldValues = this.#values;
    const capacity = Math.ceil(oldValues.length * 1.5);
    this.#keys = new Uint32Array(2 * capacity);
    this.#values = this.#makeValues(capacity);
    for (let i = 0; i < oldValues.length; i++) {
      const value = oldValues[i]!;
      if (value === 0) continue;
      const hi = oldKeys[2 * i]!;
      const lo = oldKeys[2 * i + 1]!;
      let slot = startSlot(hi, lo, capacity);
      while (this.#values[slot] !== 0) if (++slot === capacity) slot = 0;
      this.#keys[2 * slot] = hi;
      this.#keys[2 * slot + 1] = lo;
      this.#values[slot] = value;
    }
  }
}

/**
 * The first slot to probe: each half through MurmurHash3's 32-bit finalizer in turn (so keys that
 * share a half, count up, or repeat a half are spread), then scaled to the capacity by
 * multiplication, which needs no power-of-two size (so the table can grow by half, not double).
 */
function startSlot(hi: number, lo: number, capacity: number): number {
  const h = fmix32(fmix32(lo) ^ hi);
  return Math.floor(((h >>> 0) / 4294967296) * capacity);
}

function fmix32(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
