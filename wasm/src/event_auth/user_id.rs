//! The user id check the auth rules apply to `users` keys in power levels (all versions) and
//! to `additional_creators` (v12: "the same user ID validation applied to `sender`").
//!
//! That is the historical grammar, which servers MUST accept over federation:
//! https://spec.matrix.org/v1.19/appendices/#historical-user-ids — `@`, a localpart of any
//! code points but `:` and NUL (even empty), `:`, a server name
//! (https://spec.matrix.org/v1.19/appendices/#server-name), at most 255 bytes in all.

pub fn is_valid_user_id(id: &str) -> bool {
    if id.len() > 255 {
        return false;
    }
    let rest = match id.strip_prefix('@') {
        Some(rest) => rest,
        None => return false,
    };
    match rest.split_once(':') {
        Some((localpart, server)) => !localpart.contains('\0') && is_valid_server_name(server),
        None => false,
    }
}

/// `hostname [ ":" port ]` with hostname an IPv4 literal, a bracketed IPv6 literal or a DNS name.
pub fn is_valid_server_name(name: &str) -> bool {
    let (host, port) = if let Some(inner) = name.strip_prefix('[') {
        let end = match inner.find(']') {
            Some(end) => end,
            None => return false,
        };
        let ipv6 = &inner[..end];
        let valid = (2..=45).contains(&ipv6.len())
            && ipv6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if !valid {
            return false;
        }
        (&name[..end + 2], &inner[end + 1..])
    } else {
        match name.find(':') {
            Some(colon) => (&name[..colon], &name[colon..]),
            None => (name, ""),
        }
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .map_or(false, |digits| (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()));
    if !port_ok {
        return false;
    }
    if host.starts_with('[') {
        return true;
    }
    // A dotted-quad IPv4 literal is also a valid dns-name, so one check covers both.
    (1..=255).contains(&host.len()) && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_historical_and_rejects_malformed_ids() {
        for good in ["@alice:example.org", "@:example.org", "@Alice!*:example.org:8448", "@a:[::1]:80", "@a:1.2.3.4"] {
            assert!(is_valid_user_id(good), "{good}");
        }
        let long = format!("@{}:example.org", "a".repeat(250));
        for bad in ["alice:example.org", "@alice", "@alice:", "@a:exa_mple.org", "@a:example.org:", "@a:b:123456", "@a\0:x", "@a:[zz]", &long] {
            assert!(!is_valid_user_id(bad), "{bad}");
        }
    }
}
