/**
 * A stable 64-bit FNV-1a hash in pure TypeScript, kept as two uint32 halves so that it needs no
 * BigInt on the hot path. `raw` is plain byte-wise FNV-1a-64. The trace hash uses the word-wise
 * variant: each field is one or two 32-bit words (a string by its FNV-1a-32 hash, cached, a number
 * by its two 32-bit halves), folded in with one 64-bit multiply per word. The encoding is
 * canonical (it depends only on the field values), so the hash is stable across runs, threads and
 * machines.
 */
const FNV_OFFSET_HI = 0xcbf29ce4;
const FNV_OFFSET_LO = 0x84222325;
/** The FNV-64 prime is 2^40 + 0x1b3: multiplying by it is `x*0x1b3 + (x << 40)`. */
const PRIME_LO = 0x1b3;
const TWO_32 = 4294967296;
/** 2^-32: multiplying by it is exact, like dividing by 2^32, and much cheaper. */
const INV_TWO_32 = 1 / TWO_32;

/** FNV-1a-32 of a string's UTF-16 code units. */
export function fnv32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Strings repeat (node names, message types, timer keys): their 32-bit hashes are cached. */
const STRING_CACHE_LIMIT = 200_000;
const stringCache = new Map<string, number>();

function stringWord(s: string): number {
  let h = stringCache.get(s);
  if (h === undefined) {
    h = fnv32(s);
    if (stringCache.size < STRING_CACHE_LIMIT) stringCache.set(s, h);
  }
  return h;
}

export class Fnv64 {
  // The halves are kept as int32 (`| 0`), not uint32: V8 then stores them unboxed, and a mix is
  // twice as fast. `hex` reads them back as unsigned.
  private hi = FNV_OFFSET_HI | 0;
  private lo = FNV_OFFSET_LO | 0;

  /** XORs `x` (a uint32 or a byte) into the low half, then multiplies by the FNV-64 prime. */
  private mix(x: number): void {
    const v = (this.lo ^ x) >>> 0;
    // v * PRIME_LO < 2^41: exact as a double; its low word is the new low half, its high bits carry.
    const loMul = v * PRIME_LO;
    this.lo = loMul | 0;
    this.hi = (Math.imul(this.hi, PRIME_LO) + (v << 8) + ((loMul * INV_TWO_32) | 0)) | 0;
  }

  /** Plain byte-wise FNV-1a-64 over the string's code units (two bytes when above 0xff). */
  raw(s: string): this {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) this.mix(c >>> 8);
      this.mix(c & 0xff);
    }
    return this;
  }

  /** One string field: one word. */
  str(s: string): this {
    this.mix(stringWord(s));
    return this;
  }

  /** One string field by its precomputed `fnv32` (the same as `str` of that string). */
  word(w: number): this {
    this.mix(w);
    return this;
  }

  /** One number field: its low and high 32-bit halves (integers up to 2^53; others by text). */
  num(n: number): this {
    if (n >>> 0 === n) {
      // A uint32 (times, counts, TIDs): its high half is 0.
      this.mix(n);
      this.mix(0);
    } else if (Number.isSafeInteger(n)) {
      this.mix(n >>> 0);
      this.mix(Math.floor(n / TWO_32) >>> 0);
    } else {
      this.str(String(n));
    }
    return this;
  }

  hex(): string {
    return (this.hi >>> 0).toString(16).padStart(8, "0") + (this.lo >>> 0).toString(16).padStart(8, "0");
  }
}

export function fnv64(s: string): string {
  return new Fnv64().raw(s).hex();
}
