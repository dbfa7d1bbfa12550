/**
 * The recorder's output buffer: records are encoded straight into one reused buffer outside the
 * heap and written out from it, so recording a step keeps no string alive and builds none beyond
 * the JSON it must make anyway (the recorder may cost only a few percent of a no-op task; strings
 * joined per record and batched cost it several times more, bench/real.js --journal-cost).
 */

/**
 * Buffer's own UTF-8 writer: `write` checks and sorts out its arguments before calling it, which
 * cost as much as the copy for a record's pieces (bench/journal-step.js).
 */
interface Utf8Writable extends Buffer {
  utf8Write(text: string, offset: number): number;
}

/** What the buffer holds when it writes out: its bytes, or a text too big for it, in order. */
export type WriteOut = (bytes: Uint8Array | string) => void;

/** The bytes of `text`, for constant pieces of a record (ASCII). */
export const ascii = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "latin1"));

/** Decimal digits of `n`, written backwards from `end`; `n` a whole number below 2^31. */
function digitsBack(out: Uint8Array, end: number, n: number): number {
  let at = end;
  do {
    const q = (n / 10) | 0;
    out[--at] = 48 + n - q * 10;
    n = q;
  } while (n > 0);
  return at;
}

/** Decimal digits of a whole number below 2^31. */
const digitCount = (n: number): number =>
  n < 100_000
    ? n < 100
      ? n < 10
        ? 1
        : 2
      : n < 1_000
        ? 3
        : n < 10_000
          ? 4
          : 5
    : n < 10_000_000
      ? n < 1_000_000
        ? 6
        : 7
      : n < 100_000_000
        ? 8
        : n < 1_000_000_000
          ? 9
          : 10;

/** Pieces up to this long are copied byte by byte: a typed array's `set` costs more than the loop for them. */
const SHORT_PIECE = 48;

export class JournalBuffer {
  private readonly out: Buffer;
  private used = 0;
  /** Bytes taken since the last `take` (what the segment bound counts). */
  private counted = 0;

  constructor(
    private readonly size: number,
    private readonly writeOut: WriteOut,
  ) {
    this.out = Buffer.allocUnsafe(size);
  }

  /** Whether encoded bytes wait to be written out. */
  get pending(): boolean {
    return this.used > 0;
  }

  /** Bytes encoded since the last call (written out or not). */
  take(): number {
    const n = this.counted;
    this.counted = 0;
    return n;
  }

  /** Writes out what the buffer holds. */
  flush(): void {
    if (this.used === 0) return;
    const n = this.used;
    this.used = 0;
    this.writeOut(this.out.subarray(0, n));
  }

  /** Drops what the buffer holds (the file it was for is gone). */
  discard(): void {
    this.used = 0;
  }

  private room(n: number): void {
    if (this.used + n > this.size) this.flush();
  }

  /** Constant bytes (short: ASCII pieces of a record). */
  bytes(piece: Uint8Array): void {
    const n = piece.length;
    this.room(n);
    if (n <= SHORT_PIECE) {
      const out = this.out;
      let at = this.used;
      for (let i = 0; i < n; i++) out[at++] = piece[i]!;
    } else this.out.set(piece, this.used);
    this.used += n;
    this.counted += n;
  }

  /** `text` as UTF-8; a text that could not fit even in an empty buffer is written out on its own. */
  text(text: string): void {
    // Three UTF-8 bytes per UTF-16 unit at most.
    const most = text.length * 3;
    this.room(most);
    if (most > this.size) {
      this.flush();
      this.writeOut(text);
      this.counted += Buffer.byteLength(text);
      return;
    }
    const n = (this.out as Utf8Writable).utf8Write(text, this.used);
    this.used += n;
    this.counted += n;
  }

  /** A number as JSON writes it. Whole numbers are written digit by digit, without a string. */
  number(n: number): void {
    if (n >= 0 && n < 2 ** 31 && Number.isInteger(n)) {
      const count = digitCount(n);
      this.room(count);
      digitsBack(this.out, this.used + count, n);
      this.used += count;
      this.counted += count;
    } else if (n >= 0 && Number.isSafeInteger(n)) {
      // Two parts below 2^31 each (a millisecond clock has 13 digits): the high digits, then nine.
      const high = Math.floor(n / 1e9);
      let low = n - high * 1e9;
      const count = digitCount(high) + 9;
      this.room(count);
      const out = this.out;
      let at = this.used + count;
      for (let i = 0; i < 9; i++) {
        const q = (low / 10) | 0;
        out[--at] = 48 + low - q * 10;
        low = q;
      }
      digitsBack(out, at, high);
      this.used += count;
      this.counted += count;
    } else this.text(JSON.stringify(n));
  }
}
