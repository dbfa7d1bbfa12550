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

/**
 * `fnv32` as an int32 (the same 32 bits): what the hash mixes. A uint32 above 2^31 is not a small
 * integer to V8, so it is boxed as a heap number wherever it is stored or passed; an int32 never
 * is, and XOR-ing either into the hash gives the same bits.
 */
export function fnv32Word(s: string): number {
  return fnv32(s) | 0;
}

/** Strings repeat (node names, message types, timer keys): their words are cached. */
const STRING_CACHE_LIMIT = 200_000;
const stringCache = new Map<string, number>();

/**
 * In front of the Map, a small direct-mapped cache indexed by a string's length and first and
 * last code units: the few strings hashed on nearly every step (message types, the heartbeat
 * timer key) are found there with one compare (a Map lookup costs several times more). A slot
 * holds the last string that mapped to it.
 */
const FRONT_SLOTS = 256;
const frontKeys: string[] = new Array<string>(FRONT_SLOTS).fill("");
const frontWords: number[] = new Array<number>(FRONT_SLOTS).fill(fnv32Word(""));

function stringWord(s: string): number {
  const n = s.length;
  const slot = n === 0 ? 0 : (n * 7 + s.charCodeAt(0) * 3 + s.charCodeAt(n - 1)) & (FRONT_SLOTS - 1);
  if (frontKeys[slot] === s) return frontWords[slot]!;
  let h = stringCache.get(s);
  if (h === undefined) {
    h = fnv32Word(s);
    if (stringCache.size < STRING_CACHE_LIMIT) stringCache.set(s, h);
  }
  frontKeys[slot] = s;
  frontWords[slot] = h;
  return h;
}

export class Fnv64 {
  // The halves are kept as int32 (`| 0`), not uint32: V8 then stores them unboxed, and a mix is
  // twice as fast. `hex` reads them back as unsigned.
  private hi = FNV_OFFSET_HI | 0;
  private lo = FNV_OFFSET_LO | 0;

  /** XORs `x` (32 bits, as a uint32 or an int32: the same bits mix the same) into the low half, then multiplies by the FNV-64 prime. */
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

  /** One string field by its precomputed `fnv32Word` (the same as `str` of that string). */
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
