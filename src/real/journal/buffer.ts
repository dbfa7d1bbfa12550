/**
 * The recorder's output buffer: each record is encoded into one reused buffer outside the heap as
 * soon as it is made, and written out from it when full, so no record's string outlives its step.
 * (The writer before kept each record's string until a batch was joined and written: a step took
 * it 5.2 µs in a live driver, not counting the batches, against 3.9-4.2 µs now; README.)
 */

/**
 * Buffer's own UTF-8 writer: `write` checks and sorts out its arguments before calling it, which
 * cost as much as the copy of a short record (bench/journal-step.js).
 */
interface Utf8Writable extends Buffer {
  utf8Write(text: string, offset: number): number;
}

/** Where the buffer's bytes go when it writes out, in order. */
export type WriteOut = (bytes: Uint8Array) => void;

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

  /** `text` as UTF-8; a text that could not fit even in an empty buffer is written out on its own. */
  text(text: string): void {
    // Three UTF-8 bytes per UTF-16 unit at most.
    const most = text.length * 3;
    this.room(most);
    if (most > this.size) {
      this.flush();
      const bytes = Buffer.from(text, "utf8");
      this.writeOut(bytes);
      this.counted += bytes.length;
      return;
    }
    const n = (this.out as Utf8Writable).utf8Write(text, this.used);
    this.used += n;
    this.counted += n;
  }
}
