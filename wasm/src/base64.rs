//! Unpadded Base64, standard and URL-safe alphabets:
//! <https://spec.matrix.org/v1.19/appendices/#unpadded-base64>
//!
//! Small enough to keep here rather than add a crate. Decoding accepts padding (the spec asks
//! for that) but is otherwise strict: foreign characters, an impossible length or non-zero
//! trailing bits are refused, so two different texts never decode to the same bytes
//! (src/protocol/base64.ts is equally strict).

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode_with(bytes: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = String::with_capacity((bytes.len() * 4 + 2) / 3);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        let symbols = chunk.len() + 1;
        for i in 0..symbols {
            out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Standard unpadded Base64 (`+`, `/`): content hashes, signatures, v3 event ids.
pub fn encode(bytes: &[u8]) -> String {
    encode_with(bytes, STANDARD)
}

/// URL-safe unpadded Base64 (`-`, `_`): event ids from v4, room ids in v12.
pub fn encode_url_safe(bytes: &[u8]) -> String {
    encode_with(bytes, URL_SAFE)
}

fn value_of(symbol: u8) -> Option<u32> {
    match symbol {
        b'A'..=b'Z' => Some(u32::from(symbol - b'A')),
        b'a'..=b'z' => Some(u32::from(symbol - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(symbol - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes standard Base64, padded or not; None when the text is not canonical Base64.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let body = bytes.iter().rposition(|&b| b != b'=').map_or(0, |last| last + 1);
    let padding = bytes.len() - body;
    if padding > 2 || (padding > 0 && bytes.len() % 4 != 0) || body % 4 == 1 {
        return None;
    }
    let body = &bytes[..body];
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.chunks(4) {
        let mut n = 0u32;
        for (i, &symbol) in chunk.iter().enumerate() {
            n |= value_of(symbol)? << (18 - 6 * i);
        }
        let produced = chunk.len() - 1;
        // The bits below the last whole byte must be zero, or two texts would share bytes.
        if n & ((1 << (24 - 8 * produced)) - 1) != 0 {
            return None;
        }
        for i in 0..produced {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

/// Decodes Base64 in either alphabet, padded or not, ignoring non-zero trailing bits: the
/// lenient reading Synapse applies to keys and signatures in third-party invites, which
/// other servers wrote. None for foreign characters or an impossible length.
pub fn decode_lenient(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for symbol in text.bytes() {
        let value = match symbol {
            b'-' => 62,
            b'_' => 63,
            other => value_of(other)?,
        };
        buffer = (buffer << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    // A lone trailing symbol (6 bits) cannot end valid Base64.
    if bits >= 6 {
        return None;
    }
    Some(out)
}

/// Whether `text` is unpadded URL-safe Base64 of exactly `bytes` bytes (v12 room ids).
pub fn is_url_safe_of_length(text: &str, bytes: usize) -> bool {
    let expected = (bytes * 4 + 2) / 3;
    text.len() == expected && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') && {
        // The last symbol carries padding bits that must be zero (43 symbols = 258 bits).
        let spare = expected * 6 - bytes * 8;
        let last = text.as_bytes()[expected - 1];
        let value = URL_SAFE.iter().position(|&s| s == last).unwrap_or(0) as u32;
        spare == 0 || value & ((1 << spare) - 1) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        let cases = [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(encode(plain.as_bytes()), encoded);
            assert_eq!(decode(encoded).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn lenient_decoding_takes_both_alphabets_and_stray_bits() {
        assert_eq!(decode_lenient("aGVsbG8").unwrap(), b"hello");
        assert_eq!(decode_lenient("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_lenient("-_8").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(decode_lenient("+/8").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(decode_lenient("Zh").unwrap(), b"f");
        assert!(decode("Zh").is_none());
        assert!(decode_lenient("a").is_none());
        assert!(decode_lenient("a*b").is_none());
    }

    #[test]
    fn url_safe_uses_minus_and_underscore() {
        assert_eq!(encode(&[0xfb, 0xff]), "+/8");
        assert_eq!(encode_url_safe(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn decode_accepts_padding_and_refuses_the_rest() {
        assert_eq!(decode("Zg==").unwrap(), b"f");
        assert_eq!(decode("Zm8=").unwrap(), b"fo");
        for bad in ["Z", "Zg=", "Zg===", "Zh", "Zm9", "Zm-v", "Zm9v\n", "=", "Zg==Zg"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
        // Round trip over every length and many byte values.
        for len in 0..70usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + len) as u8).collect();
            assert_eq!(decode(&encode(&data)).unwrap(), data);
        }
    }

    #[test]
    fn url_safe_length_check() {
        let id = encode_url_safe(&[7u8; 32]);
        assert!(is_url_safe_of_length(&id, 32));
        assert!(!is_url_safe_of_length(&id[1..], 32));
        assert!(!is_url_safe_of_length(&encode(&[0xfb; 32]), 32));
        // Same length, but non-zero bits below the last byte.
        let mut bad = id.clone();
        bad.pop();
        bad.push('B');
        assert!(!is_url_safe_of_length(&bad, 32));
    }
}
