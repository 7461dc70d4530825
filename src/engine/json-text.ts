// Turns a JavaScript value into the JSON text the wasm operations take, with the same
// reading of "a JSON value" as src/protocol/canonical-json.ts, so both implementations
// see the same data. JSON.stringify alone would differ: it writes NaN and Infinity as
// null, drops functions and symbols, throws a TypeError on bigint and follows toJSON.
import { CanonicalJsonError } from "../protocol/canonical-json.ts";

/** JSON text for `value`; throws CanonicalJsonError for what is not JSON. */
export function toJsonText(value: unknown): string {
  const text = JSON.stringify(value, replacer);
  if (text === undefined) throw new CanonicalJsonError("$: a undefined is not JSON");
  return text;
}

/** Sees every value before JSON.stringify writes it; `this` holds the untouched value. */
function replacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  switch (typeof raw) {
    case "number":
      if (!Number.isFinite(raw)) throw new CanonicalJsonError(`${key || "$"}: ${raw} is not an integer`);
      return raw;
    case "bigint":
    case "function":
    case "symbol":
      throw new CanonicalJsonError(`${key || "$"}: a ${typeof raw} is not JSON`);
    case "object":
      // The TypeScript encoder ignores toJSON and reads any object (Date, Map, a boxed
      // string) through Object.keys: hand JSON.stringify a plain copy to match.
      if (raw !== null && (value !== raw || !isPlain(raw))) return Array.isArray(raw) ? Array.from(raw) : { ...raw };
      return raw;
    default:
      // Strings, booleans; undefined is left out of objects and null in arrays, as there.
      return raw;
  }
}

function isPlain(object: object): boolean {
  if (Array.isArray(object)) return true;
  const prototype: unknown = Object.getPrototypeOf(object);
  return prototype === Object.prototype || prototype === null;
}
