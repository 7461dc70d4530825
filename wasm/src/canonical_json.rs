//! Canonical JSON, as the spec's appendix defines it:
//! <https://spec.matrix.org/v1.19/appendices/#canonical-json>
//!
//! Keys sorted by Unicode code point, no insignificant whitespace, integers only within
//! [-(2^53)+1, 2^53-1] written without fraction or exponent (so `1e10` and `-0` are
//! accepted as 10000000000 and 0, 1.5 is not), strings with the shortest escapes and
//! everything else as raw UTF-8. Mirrors src/protocol/canonical-json.ts byte for byte.

use serde_json::{Map, Number, Value};

/// The largest integer the spec allows; its negation is the smallest.
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// The `canonical_json` operation: JSON text in, canonical JSON bytes out.
pub fn canonical_json_op(input: &[u8]) -> Result<Vec<u8>, String> {
    let value = parse(input)?;
    let mut out = Vec::with_capacity(input.len());
    write_value(&value, &mut out)?;
    Ok(out)
}

/// Parses JSON text. Duplicate keys keep the last value, as JavaScript's JSON.parse does;
/// nesting deeper than 128 levels is refused (serde_json's limit), which bounds recursion.
pub fn parse(input: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(input).map_err(|e| format!("invalid JSON: {e}"))
}

/// Appends the canonical encoding of `value` to `out`.
pub fn write_value(value: &Value, out: &mut Vec<u8>) -> Result<(), String> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => out.extend_from_slice(integer(n)?.to_string().as_bytes()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(map, out)?,
    }
    Ok(())
}

fn write_object(map: &Map<String, Value>, out: &mut Vec<u8>) -> Result<(), String> {
    // serde_json's Map is a BTreeMap<String, _> here (no "preserve_order" feature): it
    // iterates in byte order of the UTF-8 keys, which is Unicode code point order.
    out.push(b'{');
    for (i, (key, item)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(key, out);
        out.push(b':');
        write_value(item, out)?;
    }
    out.push(b'}');
    Ok(())
}

/// The integer a JSON number stands for, if it is one the spec allows. Numbers are read
/// as IEEE doubles where they are not exact integers, like JavaScript, so `1e10` passes.
fn integer(n: &Number) -> Result<i64, String> {
    let in_range = |i: i64| (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&i);
    if let Some(i) = n.as_i64() {
        return if in_range(i) { Ok(i) } else { Err(format!("{n} is outside [-(2^53)+1, 2^53-1]")) };
    }
    if n.is_u64() {
        return Err(format!("{n} is outside [-(2^53)+1, 2^53-1]"));
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    if !f.is_finite() || f.fract() != 0.0 {
        return Err(format!("{n} is not an integer"));
    }
    if f.abs() > MAX_SAFE_INTEGER as f64 {
        return Err(format!("{n} is outside [-(2^53)+1, 2^53-1]"));
    }
    // Exact: |f| < 2^53. `as` maps -0.0 to 0, which the spec requires.
    Ok(f as i64)
}

/// Writes a JSON string with the shortest escapes: \" \\ \b \t \n \f \r, \u00xx for the
/// other C0 controls, and every other character (U+007F, U+2028, astral) as raw UTF-8.
fn write_string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let unicode;
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0c => b"\\f",
            b'\r' => b"\\r",
            0x00..=0x1f => {
                unicode = [b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]];
                &unicode
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(input: &str) -> Result<String, String> {
        canonical_json_op(input.as_bytes()).map(|bytes| String::from_utf8(bytes).unwrap())
    }

    #[test]
    fn escapes_only_what_it_must() {
        assert_eq!(canon(r#""\" \\ \/ \b \t \n \f \r""#).unwrap(), r#""\" \\ / \b \t \n \f \r""#);
        assert_eq!(canon(r#""\u0000\u0001\u001f\u000b""#).unwrap(), r#""\u0000\u0001\u001f\u000b""#);
        assert_eq!(canon(r#""\u007f\u2028\u2029\ud83d\ude00""#).unwrap(), "\"\u{7f}\u{2028}\u{2029}\u{1F600}\"");
    }

    #[test]
    fn sorts_keys_by_code_point_not_utf16() {
        // In UTF-16, U+10000 (a surrogate pair starting 0xD800) sorts before U+FFFF.
        assert_eq!(canon(r#"{"\ud800\udc00":1,"\uffff":2}"#).unwrap(), "{\"\u{ffff}\":2,\"\u{10000}\":1}");
    }

    #[test]
    fn numbers_are_safe_integers() {
        assert_eq!(canon("[9007199254740991,-9007199254740991,-0,-0.0,1e10,2.0E1]").unwrap(),
            "[9007199254740991,-9007199254740991,0,0,10000000000,20]");
        for bad in ["1.5", "9007199254740992", "-9007199254740992", "18446744073709551616", "1e400"] {
            assert!(canon(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn last_duplicate_key_wins() {
        assert_eq!(canon(r#"{"a":1,"b":2,"a":3}"#).unwrap(), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn rejects_bad_text_without_panicking() {
        let deep = "[".repeat(100_000);
        for bad in ["", "{", "[1,]", "nul", "\"\\ud800\"", "\"\\udc00\"", "01", "{\"a\" 1}", "1 2", deep.as_str()] {
            assert!(canon(bad).is_err(), "{bad:.20} should be rejected");
        }
        assert!(canonical_json_op(b"\"\xff\"").is_err());
        assert!(canonical_json_op(b"\"\xed\xa0\x80\"").is_err()); // a surrogate encoded in UTF-8
    }
}
