//! Canonical JSON as a room version reads it.
//!
//! From v6 the format is enforced ("strict", <https://spec.matrix.org/v1.19/rooms/v6/#canonical-json>):
//! integers only, within [-(2^53)+1, 2^53-1]; this is `canonical_json` itself, so hashes match
//! the bytes src/protocol/canonical-json.ts signs. Versions 1 to 5 must not enforce it
//! (<https://spec.matrix.org/v1.19/rooms/v1/#canonical-json>) and their events can hold integers
//! beyond 2^53 and floats (power levels like `50.57`). "Lenient" writes those as Synapse, whose
//! Python encoder produced the hashes and signatures of such events, does: integers exactly
//! (any i64/u64), floats as Python's `repr` (shortest round-trip digits, `100.0`, `1e+16`,
//! `1e-05`). A number's kind comes from its text as in Python: `10` is an integer, `10.0` and
//! `1e1` are floats. Integers beyond u64 are read as floats by serde_json and so written as
//! Python would write a float, not as Python's big integer: the one known difference.

use crate::canonical_json::write_value;
use serde_json::{Map, Number, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Canon {
    Strict,
    Lenient,
}

impl Canon {
    pub fn for_rules(rules: &crate::room_versions::RoomVersionRules) -> Canon {
        if rules.strict_canonical_json {
            Canon::Strict
        } else {
            Canon::Lenient
        }
    }

    /// Appends the canonical encoding of `value`.
    pub fn write(self, value: &Value, out: &mut Vec<u8>) -> Result<(), String> {
        match self {
            Canon::Strict => write_value(value, out),
            Canon::Lenient => write_lenient(value, out),
        }
    }

    /// Appends the canonical encoding of the object `map` without the keys `skip` names.
    pub fn write_object_without(
        self,
        map: &Map<String, Value>,
        skip: &[&str],
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        out.push(b'{');
        let mut first = true;
        for (key, item) in map.iter().filter(|(key, _)| !skip.contains(&key.as_str())) {
            if !first {
                out.push(b',');
            }
            first = false;
            write_key(key, out)?;
            out.push(b':');
            self.write(item, out)?;
        }
        out.push(b'}');
        Ok(())
    }

    pub fn to_vec(self, value: &Value) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(512);
        self.write(value, &mut out)?;
        Ok(out)
    }
}

/// Writes an object key: plain keys (no quote, backslash or control character) as they are,
/// anything else through the canonical string encoder.
fn write_key(key: &str, out: &mut Vec<u8>) -> Result<(), String> {
    if key.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        write_value(&Value::String(key.to_owned()), out)
    }
}

fn write_lenient(value: &Value, out: &mut Vec<u8>) -> Result<(), String> {
    match value {
        Value::Number(n) => write_lenient_number(n, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_lenient(item, out)?;
            }
            out.push(b']');
            Ok(())
        }
        Value::Object(map) => Canon::Lenient.write_object_without(map, &[], out),
        other => write_value(other, out),
    }
}

fn write_lenient_number(n: &Number, out: &mut Vec<u8>) -> Result<(), String> {
    if let Some(i) = n.as_i64() {
        out.extend_from_slice(i.to_string().as_bytes());
    } else if let Some(u) = n.as_u64() {
        out.extend_from_slice(u.to_string().as_bytes());
    } else {
        let f = n.as_f64().unwrap_or(f64::NAN);
        out.extend_from_slice(python_float_repr(f)?.as_bytes());
    }
    Ok(())
}

/// Python's `repr(float)`: the shortest digits that read back as `f`, in fixed notation when
/// the decimal exponent is in [-5, 16), else as `d.ddde±XX`; integral values keep a `.0`.
pub fn python_float_repr(f: f64) -> Result<String, String> {
    if !f.is_finite() {
        return Err(format!("{f} is not a JSON number"));
    }
    // Rust's `{:e}` gives the same shortest round-trip digits: "-1.2345e-7", "5e0".
    let scientific = format!("{:e}", f.abs());
    let (mantissa, exponent) = scientific.split_once('e').ok_or("unexpected float format")?;
    let exponent: i32 = exponent.parse().map_err(|_| "unexpected float format")?;
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let point = exponent + 1; // digits are 0.d1d2... * 10^point
    if point <= -4 || point > 16 {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        return Ok(format!("{sign}{first}{fraction}e{exponent_sign}{:02}", exponent.abs()));
    }
    let body = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
    } else {
        let (whole, fraction) = digits.split_at(point as usize);
        format!("{whole}.{fraction}")
    };
    Ok(format!("{sign}{body}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_repr_of_floats() {
        // Each pair checked against CPython 3's repr().
        let cases = [
            (50.57, "50.57"),
            (100.0, "100.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (-2.5, "-2.5"),
            (1e100, "1e+100"),
            (5e-324, "5e-324"),
            (0.1, "0.1"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (51146.98, "51146.98"),
            (9007199254740993.0, "9007199254740992.0"),
            (1234.5e10, "12345000000000.0"),
        ];
        for (value, expected) in cases {
            assert_eq!(python_float_repr(value).unwrap(), expected, "{value:e}");
        }
        assert!(python_float_repr(f64::NAN).is_err());
    }

    fn lenient(text: &str) -> String {
        let value: Value = serde_json::from_str(text).unwrap();
        String::from_utf8(Canon::Lenient.to_vec(&value).unwrap()).unwrap()
    }

    #[test]
    fn lenient_keeps_big_integers_and_floats() {
        assert_eq!(
            lenient(r#"{"b":9223372036854775807,"a":-9223372036854775808}"#),
            r#"{"a":-9223372036854775808,"b":9223372036854775807}"#
        );
        assert_eq!(lenient("[18446744073709551615, 50.57, 1e1, 10, 2.0]"), "[18446744073709551615,50.57,10.0,10,2.0]");
        // Strings and keys go through the same encoder as strict mode.
        assert_eq!(lenient(r#"{"\u0001\"":"\u2028\n"}"#), "{\"\\u0001\\\"\":\"\u{2028}\\n\"}");
    }

    #[test]
    fn strict_refuses_what_lenient_accepts() {
        for text in ["9007199254740992", "50.57", "[1.5]"] {
            let value: Value = serde_json::from_str(text).unwrap();
            assert!(Canon::Strict.to_vec(&value).is_err(), "{text}");
            assert!(Canon::Lenient.to_vec(&value).is_ok(), "{text}");
        }
    }

    #[test]
    fn both_agree_on_canonical_values_and_skip_keys() {
        let value = json!({"z": [1, -2, {"y": null, "x": true}], "a": "é\u{0}", "m": {}});
        let strict = Canon::Strict.to_vec(&value).unwrap();
        assert_eq!(strict, Canon::Lenient.to_vec(&value).unwrap());
        assert_eq!(strict, crate::canonical_json::canonical_json_op(value.to_string().as_bytes()).unwrap());
        let mut out = Vec::new();
        Canon::Strict.write_object_without(value.as_object().unwrap(), &["z", "m"], &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "{\"a\":\"é\\u0000\"}");
    }
}
