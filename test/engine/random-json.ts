// A small seeded generator of JSON-like values for differential tests: the same seed
// gives the same values, so a failure names a seed that reproduces it.

/** mulberry32: a tiny, good-enough PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAX = Number.MAX_SAFE_INTEGER;

// Characters where encoders go wrong: escapes, C0 controls, DEL, line separators, the
// BMP's top (U+E000..U+FFFF sort before astral characters by code point but after them
// in UTF-16), astral characters and plain text.
const CHARACTERS = [
  ..."abcxyzAZ09 _-:@!.",
  '"', "\\", "/", "\b", "\t", "\n", "\f", "\r", "\u0000", "\u0001", "\u000b", "\u001f", "\u007f",
  "\u0080", "é", "ß", "日", "本", "\u2028", "\u2029", "\ud7ff", "\ue000", "\ufeff", "\uffff",
  "\u{10000}", "\u{1f600}", "\u{1f468}\u200d\u{1f469}", "\u{10ffff}",
];
const KEYS = ["", "a", "aa", "b", "A", "\uffff", "\u{10000}", "\ue000", "\u{1f600}", "é", "\u007f", "\u0000"];
const NUMBERS = [0, -0, 1, -1, 42, MAX, -MAX, MAX - 1, -MAX + 1, 2 ** 52, -(2 ** 52), 2 ** 31, -(2 ** 31), 2 ** 32, 1e10, 1e15];

export class JsonGenerator {
  private readonly random: () => number;
  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  private int(below: number): number {
    return Math.floor(this.random() * below);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  string(maxLength = 8): string {
    let out = "";
    for (let n = this.int(maxLength + 1); n > 0; n--) out += this.pick(CHARACTERS);
    return out;
  }

  number(): number {
    switch (this.int(3)) {
      case 0:
        return this.pick(NUMBERS);
      case 1:
        return (this.random() < 0.5 ? -1 : 1) * (MAX - this.int(1000)); // near ±(2^53 - 1)
      default:
        return this.int(2_000_001) - 1_000_000;
    }
  }

  /** A JSON value nested at most `depth` levels, with canonicalisable numbers only. */
  value(depth = 4): unknown {
    const kind = this.int(depth > 0 ? 8 : 5);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return this.random() < 0.5;
      case 2:
        return this.number();
      case 3:
      case 4:
        return this.string();
      case 5:
      case 6: {
        const object: Record<string, unknown> = {};
        for (let n = this.int(6); n > 0; n--) object[this.random() < 0.5 ? this.pick(KEYS) : this.string(4)] = this.value(depth - 1);
        return object;
      }
      default:
        return Array.from({ length: this.int(5) }, () => this.value(depth - 1));
    }
  }

  /** `value` with `leaf` placed somewhere inside it (or instead of it). */
  plant(value: unknown, leaf: unknown): unknown {
    if (value === null || typeof value !== "object" || this.random() < 0.3) return { [this.string(3)]: leaf };
    if (Array.isArray(value)) {
      const copy = [...value];
      copy.splice(this.int(copy.length + 1), 0, this.random() < 0.5 ? leaf : this.plant(copy[0], leaf));
      return copy;
    }
    return { ...value, [this.pick(KEYS)]: this.plant(null, leaf) };
  }
}
