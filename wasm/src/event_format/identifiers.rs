//! The identifier grammar the event format relies on:
//! <https://spec.matrix.org/v1.19/appendices/#identifier-grammar>
//!
//! Lenient where the spec asks servers to accept history: user id localparts may hold any
//! character but `:` and NUL (even none, "Historical User IDs"), room and event id localparts
//! likewise. The server name after the first `:` must follow the grammar exactly, since
//! signature checks and auth rules read it.

/// The longest user, room or event id, type or state key, in bytes.
pub const MAX_ID_BYTES: usize = 255;

/// `server_name = hostname [ ":" port ]`: <https://spec.matrix.org/v1.19/appendices/#server-name>
pub fn is_server_name(text: &str) -> bool {
    let (host, port) = match text.strip_prefix('[') {
        Some(rest) => match rest.find(']') {
            Some(end) => {
                let literal = &rest[..end];
                let ipv6 = (2..=45).contains(&literal.len())
                    && literal.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
                if !ipv6 {
                    return false;
                }
                ("[]", &rest[end + 1..])
            }
            None => return false,
        },
        None => match text.find(':') {
            Some(colon) => (&text[..colon], &text[colon..]),
            None => (text, ""),
        },
    };
    // IPv4 addresses are dns-name characters too, so one check covers both.
    let host_ok = host == "[]"
        || ((1..=255).contains(&host.len())
            && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .map_or(false, |digits| (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

/// Splits `&localpart:server` at the first `:`, checking the sigil, the localpart (no NUL)
/// and the server name.
fn split_namespaced(text: &str, sigil: char) -> Option<(&str, &str)> {
    let rest = text.strip_prefix(sigil)?;
    let colon = rest.find(':')?;
    let (localpart, server) = (&rest[..colon], &rest[colon + 1..]);
    if localpart.contains('\0') || !is_server_name(server) {
        return None;
    }
    Some((localpart, server))
}

/// The server name of a user id (`@localpart:server`), historical localparts included.
pub fn user_id_server(user_id: &str) -> Option<&str> {
    split_namespaced(user_id, '@').map(|(_, server)| server)
}

/// The server name of a v1/v2 event id (`$opaque:server`).
pub fn event_id_server(event_id: &str) -> Option<&str> {
    split_namespaced(event_id, '$').map(|(_, server)| server)
}

/// A room id with a domain (`!opaque:server`), as room versions 1 to 11 use.
pub fn is_room_id_with_domain(room_id: &str) -> bool {
    split_namespaced(room_id, '!').is_some()
}

/// A room id that is a create event's id (`!` + URL-safe Base64 of a SHA-256), from v12.
pub fn is_room_id_hash(room_id: &str) -> bool {
    room_id.strip_prefix('!').map_or(false, |hash| crate::base64::is_url_safe_of_length(hash, 32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names() {
        for good in [
            "matrix.org",
            "matrix.org:8448",
            "1.2.3.4",
            "1.2.3.4:1",
            "[1234:5678::abcd]",
            "[::1]:8448",
            "localhost",
            "a",
            "xn--ls8h.la",
            "domain",
        ] {
            assert!(is_server_name(good), "{good}");
        }
        for bad in [
            "",
            ":8448",
            "matrix.org:",
            "matrix.org:123456",
            "matrix.org:80a",
            "[::1",
            "[]",
            "[x::1]",
            "under_score.org",
            "sp ace.org",
            "a:b:c",
            "[::1]x",
            "é.org",
        ] {
            assert!(!is_server_name(bad), "{bad}");
        }
        assert!(is_server_name(&"a".repeat(255)));
        assert!(!is_server_name(&"a".repeat(256)));
    }

    #[test]
    fn user_ids_accept_historical_localparts() {
        assert_eq!(user_id_server("@alice:example.org"), Some("example.org"));
        assert_eq!(user_id_server("@:example.org"), Some("example.org"));
        assert_eq!(user_id_server("@Ålice Smith!:example.org:8448"), Some("example.org:8448"));
        for bad in ["alice:example.org", "@alice", "@alice:", "@a\0b:example.org", "@alice:bad_host", "!r:example.org"]
        {
            assert_eq!(user_id_server(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn room_and_event_ids() {
        assert!(is_room_id_with_domain("!abc:example.org"));
        assert!(!is_room_id_with_domain("!abc"));
        assert!(!is_room_id_with_domain("#abc:example.org"));
        assert_eq!(event_id_server("$0:domain"), Some("domain"));
        assert_eq!(event_id_server("$abc"), None);
        assert!(is_room_id_hash("!31hneApxJ_1o-63DmFrpeqnkFfWppnzWso1JvH3ogLM"));
        assert!(!is_room_id_hash("!31hneApxJ_1o-63DmFrpeqnkFfWppnzWso1JvH3ogLM:example.org"));
        assert!(!is_room_id_hash("!31hneApxJ/1o+63DmFrpeqnkFfWppnzWso1JvH3ogLM"));
        assert!(!is_room_id_hash("$31hneApxJ_1o-63DmFrpeqnkFfWppnzWso1JvH3ogLM"));
    }
}
