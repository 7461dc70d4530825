//! Glob patterns of push rules, matched case-insensitively against a whole value or, for
//! `content.body`, against any substring between word boundaries.
//!
//! - Globs: https://spec.matrix.org/v1.19/appendices/#glob-style-matching (`*` matches zero
//!   or more characters, `?` exactly one; every other character stands for itself).
//! - Word boundaries: https://spec.matrix.org/v1.19/client-server-api/#conditions-1 ("the
//!   start or end of the value, or any character not in the sets `[A-Z]`, `[a-z]`, `[0-9]`
//!   or `_`"). So every non-ASCII character is a boundary too, exactly as the spec reads.
//!
//! A substring `value[i..j]` starts at a word boundary when `i` is the start of the value,
//! the character before it is a boundary character, or its own first character is one;
//! the end mirrors this. (The last case lets `@room` match in `hi@room`: the match begins
//! at the boundary character `@`. It is what Synapse's `(?:^|\W|\b)` also accepts.)
//!
//! Matching works on folded text (`fold`): "case insensitive" is the implementation's to
//! define, and here it is Unicode lowercase per character with final sigma read as sigma.
//! Patterns are split at `*` into star-free segments; segments are placed leftmost-first,
//! which is exact for globs (a leftmost placement leaves the most room for what follows).
//! Cost is O(value length x segment length) in the worst case.

/// Folds text for case-insensitive matching: each character's Unicode lowercase, `ς` as `σ`.
pub fn fold(text: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(text.len());
    out.extend(fold_chars(text));
    out
}

/// The characters of `fold(text)`, without collecting them.
pub fn fold_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().flat_map(|c| {
        let ascii = c.is_ascii();
        let lower = if ascii { None } else { Some(c.to_lowercase()) };
        std::iter::once(c.to_ascii_lowercase()).filter(move |_| ascii).chain(lower.into_iter().flatten().map(|l| if l == 'ς' { 'σ' } else { l }))
    })
}

/// `[A-Za-z0-9_]`: the characters that are not word boundaries.
pub fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Char(char),
    /// `?`: exactly one character.
    Any,
}

/// A compiled, folded glob: star-free segments that `*`s separate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
    /// `segments.len() - 1` stars sit between the segments; one segment means no star.
    segments: Vec<Vec<Token>>,
}

impl Glob {
    /// Compiles a glob pattern (`*` and `?` are wildcards).
    pub fn new(pattern: &str) -> Glob {
        let mut segments = vec![Vec::new()];
        for c in fold(pattern) {
            match c {
                '*' => segments.push(Vec::new()),
                '?' => segments.last_mut().expect("never empty").push(Token::Any),
                c => segments.last_mut().expect("never empty").push(Token::Char(c)),
            }
        }
        // `a**b` is `a*b`: drop empty segments between stars, keeping the first and last,
        // which anchor the pattern's ends.
        let last = segments.len() - 1;
        let mut index = 0;
        segments.retain(|segment| {
            let keep = index == 0 || index == last || !segment.is_empty();
            index += 1;
            keep
        });
        Glob { segments }
    }

    /// A pattern where every character stands for itself (display names, user ids).
    pub fn literal(text: &str) -> Glob {
        Glob { segments: vec![fold(text).into_iter().map(Token::Char).collect()] }
    }

    /// The pattern as a string when it is one plain word: `[A-Za-z0-9_]` only, no wildcards.
    /// Such a pattern matches by word boundaries exactly when it equals one of the value's
    /// words (maximal runs of word characters): see `words`.
    pub fn word_literal(&self) -> Option<String> {
        match self.segments.as_slice() {
            [segment] if !segment.is_empty() => segment
                .iter()
                .map(|token| match *token {
                    Token::Char(c) if is_word_char(c) => Some(c),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }

    /// True if the pattern matches all of `value` (folded with `fold`).
    pub fn matches_whole(&self, value: &[char]) -> bool {
        let (first, last) = (&self.segments[0], &self.segments[self.segments.len() - 1]);
        if self.segments.len() == 1 {
            return first.len() == value.len() && segment_at(first, value, 0);
        }
        if first.len() + last.len() > value.len() || !segment_at(first, value, 0) {
            return false;
        }
        let end = value.len() - last.len();
        if !segment_at(last, value, end) {
            return false;
        }
        let mut position = first.len();
        for segment in &self.segments[1..self.segments.len() - 1] {
            match find(segment, &value[..end], position) {
                Some(at) => position = at + segment.len(),
                None => return false,
            }
        }
        true
    }

    /// True if the pattern matches a substring of `value` (folded) that starts and ends at
    /// word boundaries: the `content.body` rule.
    pub fn matches_words(&self, value: &[char]) -> bool {
        let first = &self.segments[0];
        if self.segments.len() == 1 {
            return (0..=value.len().saturating_sub(first.len()))
                .filter(|&start| start + first.len() <= value.len())
                .any(|start| starts_word(value, start) && segment_at(first, value, start) && ends_word(value, start + first.len()));
        }
        // Leftmost start is best: every later placement is also possible from it.
        let start = match (0..=value.len()).find(|&start| starts_word(value, start) && segment_at(first, value, start)) {
            Some(start) => start,
            None => return false,
        };
        let mut position = start + first.len();
        let last = &self.segments[self.segments.len() - 1];
        for segment in &self.segments[1..self.segments.len() - 1] {
            match find(segment, value, position) {
                Some(at) => position = at + segment.len(),
                None => return false,
            }
        }
        (position..=value.len())
            .filter(|&at| at + last.len() <= value.len())
            .any(|at| segment_at(last, value, at) && ends_word(value, at + last.len()))
    }
}

/// A 64-bit hash of a word, the same in every call (SipHash with fixed keys): rule sets
/// prepared earlier keep their keywords' hashes, and an event's words are hashed to match.
/// Finding another word with the same hash as someone's keyword is as hard as a SipHash
/// preimage, so an event cannot make lookups slow.
pub fn word_hash(word: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    word.hash(&mut hasher);
    hasher.finish()
}

/// The words of `value`: its maximal runs of `[A-Za-z0-9_]`.
pub fn words(value: &[char]) -> impl Iterator<Item = String> + '_ {
    value.split(|&c| !is_word_char(c)).filter(|word| !word.is_empty()).map(|word| word.iter().collect())
}

/// A substring may start at `at`: the start, after a boundary character, or on one.
fn starts_word(value: &[char], at: usize) -> bool {
    at == 0 || !is_word_char(value[at - 1]) || value.get(at).map_or(true, |&c| !is_word_char(c))
}

/// A substring may end at `at` (exclusive): the end, before a boundary character, or on one.
fn ends_word(value: &[char], at: usize) -> bool {
    at == value.len() || !is_word_char(value[at]) || (at > 0 && !is_word_char(value[at - 1]))
}

/// True if `segment` matches `value` at `at`.
fn segment_at(segment: &[Token], value: &[char], at: usize) -> bool {
    match value.get(at..at + segment.len()) {
        Some(window) => segment.iter().zip(window).all(|(token, &c)| match *token {
            Token::Char(expected) => expected == c,
            Token::Any => true,
        }),
        None => false,
    }
}

/// The leftmost position at or after `from` where `segment` matches inside `value`.
fn find(segment: &[Token], value: &[char], from: usize) -> Option<usize> {
    if segment.len() > value.len() {
        return None;
    }
    (from..=value.len() - segment.len()).find(|&at| segment_at(segment, value, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(pattern: &str, value: &str) -> bool {
        Glob::new(pattern).matches_whole(&fold(value))
    }

    fn words(pattern: &str, value: &str) -> bool {
        Glob::new(pattern).matches_words(&fold(value))
    }

    #[test]
    fn spec_example_whole_value() {
        // https://spec.matrix.org/v1.19/client-server-api/#conditions-1, content.topic `lunc?*`
        assert!(whole("lunc?*", "Lunch plans"));
        assert!(whole("lunc?*", "LUNCH"));
        assert!(!whole("lunc?*", " lunch"));
        assert!(!whole("lunc?*", "lunc"));
    }

    #[test]
    fn spec_example_word_boundaries() {
        // content.body `ex*ple`
        assert!(words("ex*ple", "An example event."));
        assert!(words("ex*ple", "exple"));
        assert!(words("ex*ple", "An exciting triple-whammy"));
        assert!(!words("ex*ple", "An exciting triplet"));
        assert!(!words("ex*ple", "Anexample"));
    }

    #[test]
    fn whole_value_wildcards() {
        let table: &[(&str, &str, bool)] = &[
            ("m.room.message", "m.room.message", true),
            ("m.room.message", "m.room.messages", false),
            ("m.room.message", "M.ROOM.MESSAGE", true),
            ("m.room.*", "m.room.message", true),
            ("m.room.*", "m.room.", true),
            ("m.room.*", "m.room", false),
            ("*", "", true),
            ("*", "anything", true),
            ("", "", true),
            ("", "x", false),
            ("?", "", false),
            ("?", "x", true),
            ("?", "xy", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "a-b-c", true),
            ("a*b*c", "acb", false),
            ("a*b*c", "abcbc", true),
            ("a**c", "abc", true),
            ("*a", "ba", true),
            ("*a", "ab", false),
            ("ab*ba", "aba", false),
            ("ab*ba", "abba", true),
            ("*.*", "m.notice", true),
            ("[a]", "[a]", true),
            ("[a]", "a", false),
            ("a\\*", "a\\xyz", true),
        ];
        for &(pattern, value, expected) in table {
            assert_eq!(whole(pattern, value), expected, "{pattern:?} on {value:?}");
        }
    }

    #[test]
    fn word_boundaries() {
        let table: &[(&str, &str, bool)] = &[
            ("cake", "cake", true),
            ("cake", "I like cake.", true),
            ("cake", "Cake!", true),
            ("cake", "cakes", false),
            ("cake", "pancake", false),
            ("cake", "pan-cake", true),
            ("cake", "cake_", false),
            ("cake", "_cake", false),
            ("cake", "cake2", false),
            ("cake", "(cake)", true),
            ("cake", "x\ncake\n", true),
            ("cake", "a pancake and a cake", true),
            ("cake*", "cakes", true),
            ("cake*", "pancakes", false),
            ("*cake", "pancake", true),
            ("c?ke", "coke", true),
            ("c?ke", "cke", false),
            ("cake*lie", "the cake is a lie", true),
            ("cake*lie", "the cake is a lies", false),
            ("cake*lie", "the cake is a lie, a lie", true),
            ("cake*lie", "the cake is a belie and a lie", true),
            ("@room", "@room", true),
            ("@room", "hi @room!", true),
            ("@room", "hi@room", true),
            ("@room", "@roomy", false),
            ("@room", "@room_", false),
            ("room", "@room", true),
            ("room:", "@room:example.org", true),
            ("room:", "broom:x", false),
            ("-cake", "x-cake", true),
            ("", "", true),
            ("", "anything", true),
            ("alice", "", false),
        ];
        for &(pattern, value, expected) in table {
            assert_eq!(words(pattern, value), expected, "{pattern:?} in {value:?}");
        }
    }

    #[test]
    fn unicode_is_folded_and_every_non_ascii_character_is_a_boundary() {
        assert!(words("ÉCOLE", "à l'école"));
        assert!(whole("straße", "STRAßE"));
        assert!(whole("σοφός", "ΣΟΦΌΣ"), "final sigma folds to sigma");
        assert!(words("caf", "café"), "é is not in [A-Za-z0-9_], so it is a boundary");
        assert!(words("tea", "☕tea☕"));
        assert!(words("日本", "日本語"), "every CJK character is a boundary");
        assert!(words("?", "é"), "? is one character, not one byte");
        assert!(!whole("??", "é"));
    }

    #[test]
    fn plain_words_match_exactly_the_words_of_the_value() {
        assert_eq!(Glob::new("Cake_2").word_literal().as_deref(), Some("cake_2"));
        for pattern in ["cake*", "c?ke", "@room", "two words", "", "café"] {
            assert_eq!(Glob::new(pattern).word_literal(), None, "{pattern:?}");
        }
        let body = fold("Hi @Room: cake_2 (and pie)-time, café");
        let list: Vec<String> = super::words(&body).collect();
        assert_eq!(list, ["hi", "room", "cake_2", "and", "pie", "time", "caf"]);
        // The shortcut agrees with the scan on every word and on near misses.
        for pattern in ["hi", "room", "cake", "cake_2", "pie", "time", "caf", "and", "an", "ie"] {
            let glob = Glob::new(pattern);
            assert_eq!(glob.matches_words(&body), list.contains(&glob.word_literal().unwrap()), "{pattern}");
        }
    }

    #[test]
    fn literal_ignores_wildcards() {
        assert!(Glob::literal("A*b?").matches_words(&fold("say a*b? now")));
        assert!(!Glob::literal("a*b").matches_words(&fold("axxb")));
        assert!(Glob::literal("@Alice:Example.org").matches_whole(&fold("@alice:example.org")));
    }
}
