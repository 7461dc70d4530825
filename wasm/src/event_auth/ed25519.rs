//! Ed25519 signature verification (RFC 8032), for the one auth rule that checks a signature
//! itself: a third-party invite's `signed` block against the public keys of the
//! `m.room.third_party_invite` event. Debian 12 packages no Ed25519 crate, so this is a small
//! verification-only port of TweetNaCl's public-domain arithmetic (field elements as sixteen
//! 16-bit limbs). Only public data is handled, so it need not run in constant time. It also
//! refuses non-canonical `S` (>= the group order), as RFC 8032 5.1.7 asks.
//!
//! Tests: RFC 8032 section 7.1 vectors, and the curve constants recomputed from their
//! definitions.

use sha2::{Digest, Sha512};

type Gf = [i64; 16];

const GF0: Gf = [0; 16];
const GF1: Gf = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
/// d = -121665/121666
const D: Gf = [
    0x78a3, 0x1359, 0x4dca, 0x75eb, 0xd8ab, 0x4141, 0x0a4d, 0x0070, 0xe898, 0x7779, 0x4079, 0x8cc7, 0xfe73, 0x2b6f,
    0x6cee, 0x5203,
];
/// 2d
const D2: Gf = [
    0xf159, 0x26b2, 0x9b94, 0xebd6, 0xb156, 0x8283, 0x149a, 0x00e0, 0xd130, 0xeef3, 0x80f2, 0x198e, 0xfce7, 0x56df,
    0xd9dc, 0x2406,
];
/// The base point's x and y (y = 4/5).
const X: Gf = [
    0xd51a, 0x8f25, 0x2d60, 0xc956, 0xa7b2, 0x9525, 0xc760, 0x692c, 0xdc5c, 0xfdd6, 0xe231, 0xc0a4, 0x53fe, 0xcd6e,
    0x36d3, 0x2169,
];
const Y: Gf = [
    0x6658, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666,
    0x6666, 0x6666,
];
/// sqrt(-1)
const I: Gf = [
    0xa0b0, 0x4a0e, 0x1b27, 0xc4ee, 0xe478, 0xad2f, 0x1806, 0x2f43, 0xd7a7, 0x3dfb, 0x0099, 0x2b4d, 0xdf0b, 0x4fc1,
    0x2480, 0x2b83,
];
/// The group order L, little-endian.
const L: [i64; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn car25519(o: &mut Gf) {
    for i in 0..16 {
        o[i] += 1 << 16;
        let c = o[i] >> 16;
        if i < 15 {
            o[i + 1] += c - 1;
        } else {
            o[0] += 38 * (c - 1);
        }
        o[i] -= c << 16;
    }
}

fn sel25519(p: &mut Gf, q: &mut Gf, b: i64) {
    let c = !(b - 1);
    for i in 0..16 {
        let t = c & (p[i] ^ q[i]);
        p[i] ^= t;
        q[i] ^= t;
    }
}

fn pack25519(n: &Gf) -> [u8; 32] {
    let mut t = *n;
    car25519(&mut t);
    car25519(&mut t);
    car25519(&mut t);
    let mut m = GF0;
    for _ in 0..2 {
        m[0] = t[0] - 0xffed;
        for i in 1..15 {
            m[i] = t[i] - 0xffff - ((m[i - 1] >> 16) & 1);
            m[i - 1] &= 0xffff;
        }
        m[15] = t[15] - 0x7fff - ((m[14] >> 16) & 1);
        let b = (m[15] >> 16) & 1;
        m[14] &= 0xffff;
        sel25519(&mut t, &mut m, 1 - b);
    }
    let mut out = [0u8; 32];
    for i in 0..16 {
        out[2 * i] = (t[i] & 0xff) as u8;
        out[2 * i + 1] = (t[i] >> 8) as u8;
    }
    out
}

fn neq25519(a: &Gf, b: &Gf) -> bool {
    pack25519(a) != pack25519(b)
}

fn par25519(a: &Gf) -> u8 {
    pack25519(a)[0] & 1
}

fn unpack25519(n: &[u8; 32]) -> Gf {
    let mut o = GF0;
    for i in 0..16 {
        o[i] = n[2 * i] as i64 + ((n[2 * i + 1] as i64) << 8);
    }
    o[15] &= 0x7fff;
    o
}

fn add_gf(a: &Gf, b: &Gf) -> Gf {
    let mut o = GF0;
    for i in 0..16 {
        o[i] = a[i] + b[i];
    }
    o
}

fn sub_gf(a: &Gf, b: &Gf) -> Gf {
    let mut o = GF0;
    for i in 0..16 {
        o[i] = a[i] - b[i];
    }
    o
}

fn mul_gf(a: &Gf, b: &Gf) -> Gf {
    let mut t = [0i64; 31];
    for i in 0..16 {
        for j in 0..16 {
            t[i + j] += a[i] * b[j];
        }
    }
    for i in 0..15 {
        t[i] += 38 * t[i + 16];
    }
    let mut o = GF0;
    o.copy_from_slice(&t[..16]);
    car25519(&mut o);
    car25519(&mut o);
    o
}

fn square(a: &Gf) -> Gf {
    mul_gf(a, a)
}

fn inv25519(i: &Gf) -> Gf {
    let mut c = *i;
    for a in (0..=253).rev() {
        c = square(&c);
        if a != 2 && a != 4 {
            c = mul_gf(&c, i);
        }
    }
    c
}

fn pow2523(i: &Gf) -> Gf {
    let mut c = *i;
    for a in (0..=250).rev() {
        c = square(&c);
        if a != 1 {
            c = mul_gf(&c, i);
        }
    }
    c
}

type Point = [Gf; 4];

fn add_point(p: &mut Point, q: &Point) {
    let a = mul_gf(&sub_gf(&p[1], &p[0]), &sub_gf(&q[1], &q[0]));
    let b = mul_gf(&add_gf(&p[0], &p[1]), &add_gf(&q[0], &q[1]));
    let c = mul_gf(&mul_gf(&p[3], &q[3]), &D2);
    let d = mul_gf(&p[2], &q[2]);
    let d = add_gf(&d, &d);
    let e = sub_gf(&b, &a);
    let f = sub_gf(&d, &c);
    let g = add_gf(&d, &c);
    let h = add_gf(&b, &a);
    p[0] = mul_gf(&e, &f);
    p[1] = mul_gf(&h, &g);
    p[2] = mul_gf(&g, &f);
    p[3] = mul_gf(&e, &h);
}

fn cswap(p: &mut Point, q: &mut Point, b: u8) {
    for i in 0..4 {
        sel25519(&mut p[i], &mut q[i], b as i64);
    }
}

fn pack_point(p: &Point) -> [u8; 32] {
    let zi = inv25519(&p[2]);
    let tx = mul_gf(&p[0], &zi);
    let ty = mul_gf(&p[1], &zi);
    let mut r = pack25519(&ty);
    r[31] ^= par25519(&tx) << 7;
    r
}

fn scalarmult(q: &Point, s: &[u8; 32]) -> Point {
    let mut p: Point = [GF0, GF1, GF1, GF0];
    let mut q = *q;
    for i in (0..256).rev() {
        let b = (s[i / 8] >> (i & 7)) & 1;
        cswap(&mut p, &mut q, b);
        let p_copy = p;
        add_point(&mut q, &p_copy);
        add_point(&mut p, &p_copy);
        cswap(&mut p, &mut q, b);
    }
    p
}

fn scalarbase(s: &[u8; 32]) -> Point {
    let base: Point = [X, Y, GF1, mul_gf(&X, &Y)];
    scalarmult(&base, s)
}

fn mod_l(x: &mut [i64; 64]) -> [u8; 32] {
    for i in (32..64).rev() {
        let mut carry = 0;
        let mut j = i - 32;
        while j < i - 12 {
            x[j] += carry - 16 * x[i] * L[j - (i - 32)];
            carry = (x[j] + 128) >> 8;
            x[j] -= carry << 8;
            j += 1;
        }
        x[j] += carry;
        x[i] = 0;
    }
    let mut carry = 0;
    for j in 0..32 {
        x[j] += carry - (x[31] >> 4) * L[j];
        carry = x[j] >> 8;
        x[j] &= 255;
    }
    for j in 0..32 {
        x[j] -= carry * L[j];
    }
    let mut r = [0u8; 32];
    for i in 0..32 {
        x[i + 1] += x[i] >> 8;
        r[i] = (x[i] & 255) as u8;
    }
    r
}

fn reduce(h: &[u8]) -> [u8; 32] {
    let mut x = [0i64; 64];
    for (i, byte) in h.iter().enumerate().take(64) {
        x[i] = *byte as i64;
    }
    mod_l(&mut x)
}

/// -A for the encoded point A, or None if it is not on the curve.
fn unpack_negated(p: &[u8; 32]) -> Option<Point> {
    let mut r: Point = [GF0, GF0, GF1, GF0];
    r[1] = unpack25519(p);
    let num = square(&r[1]);
    let den = mul_gf(&num, &D);
    let num = sub_gf(&num, &r[2]);
    let den = add_gf(&r[2], &den);
    let den2 = square(&den);
    let den4 = square(&den2);
    let den6 = mul_gf(&den4, &den2);
    let mut t = mul_gf(&mul_gf(&den6, &num), &den);
    t = pow2523(&t);
    t = mul_gf(&mul_gf(&mul_gf(&t, &num), &den), &den);
    r[0] = mul_gf(&t, &den);
    let chk = mul_gf(&square(&r[0]), &den);
    if neq25519(&chk, &num) {
        r[0] = mul_gf(&r[0], &I);
    }
    let chk = mul_gf(&square(&r[0]), &den);
    if neq25519(&chk, &num) {
        return None;
    }
    if par25519(&r[0]) == (p[31] >> 7) {
        r[0] = sub_gf(&GF0, &r[0]);
    }
    r[3] = mul_gf(&r[0], &r[1]);
    Some(r)
}

/// Whether S (little-endian) is below the group order.
fn is_canonical_scalar(s: &[u8]) -> bool {
    for i in (0..32).rev() {
        let (byte, order) = (s[i] as i64, L[i]);
        if byte != order {
            return byte < order;
        }
    }
    false
}

/// Whether `signature` (64 bytes) is `public_key`'s (32 bytes) signature of `message`.
pub fn verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let (public_key, signature): (&[u8; 32], &[u8; 64]) = match (public_key.try_into(), signature.try_into()) {
        (Ok(key), Ok(signature)) => (key, signature),
        _ => return false,
    };
    if !is_canonical_scalar(&signature[32..]) {
        return false;
    }
    let negated_key = match unpack_negated(public_key) {
        Some(point) => point,
        None => return false,
    };
    let mut hasher = Sha512::new();
    hasher.update(&signature[..32]);
    hasher.update(public_key);
    hasher.update(message);
    let h = reduce(&hasher.finalize());
    // [S]B - [h]A must encode to R.
    let mut p = scalarmult(&negated_key, &h);
    let mut s = [0u8; 32];
    s.copy_from_slice(&signature[32..]);
    add_point(&mut p, &scalarbase(&s));
    pack_point(&p)[..] == signature[..32]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    fn gf_from(n: i64) -> Gf {
        let mut o = GF0;
        o[0] = n & 0xffff;
        o[1] = n >> 16;
        o
    }

    #[test]
    fn curve_constants_match_their_definitions() {
        // d = -121665 / 121666
        let d = mul_gf(&sub_gf(&GF0, &gf_from(121665)), &inv25519(&gf_from(121666)));
        assert_eq!(pack25519(&d), pack25519(&D));
        assert_eq!(pack25519(&add_gf(&D, &D)), pack25519(&D2));
        // I^2 = -1
        assert_eq!(pack25519(&square(&I)), pack25519(&sub_gf(&GF0, &GF1)));
        // y = 4/5, and (x, y) on -x^2 + y^2 = 1 + d x^2 y^2
        assert_eq!(pack25519(&Y), pack25519(&mul_gf(&gf_from(4), &inv25519(&gf_from(5)))));
        let (x2, y2) = (square(&X), square(&Y));
        let left = sub_gf(&y2, &x2);
        let right = add_gf(&GF1, &mul_gf(&D, &mul_gf(&x2, &y2)));
        assert_eq!(pack25519(&left), pack25519(&right));
    }

    /// RFC 8032 7.1, tests 1 to 3.
    const VECTORS: [(&str, &str, &str); 3] = [
        (
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
        (
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
        (
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
        ),
    ];

    #[test]
    fn accepts_rfc_8032_vectors_and_rejects_any_change() {
        for (key, message, signature) in VECTORS {
            let (key, message, signature) = (hex(key), hex(message), hex(signature));
            assert!(verify(&key, &message, &signature));
            let mut other = message.clone();
            other.push(0);
            assert!(!verify(&key, &other, &signature));
            for i in [0, 31, 32, 63] {
                let mut bad = signature.clone();
                bad[i] ^= 1;
                assert!(!verify(&key, &message, &bad), "flipped byte {i}");
            }
            let mut bad_key = key.clone();
            bad_key[0] ^= 1;
            assert!(!verify(&bad_key, &message, &signature));
            assert!(!verify(&key[..31], &message, &signature));
        }
    }

    #[test]
    fn refuses_a_non_canonical_s() {
        let (key, message, signature) = VECTORS[0];
        let (key, message, mut signature) = (hex(key), hex(message), hex(signature));
        // S + L encodes the same scalar but is not canonical.
        let mut carry = 0i64;
        for i in 0..32 {
            let sum = signature[32 + i] as i64 + L[i] + carry;
            signature[32 + i] = (sum & 0xff) as u8;
            carry = sum >> 8;
        }
        assert!(!verify(&key, &message, &signature));
    }

}
