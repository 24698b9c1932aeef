//! `pattern`s are Go (RE2) regular expressions. The `regex` crate speaks nearly the same syntax;
//! the differences that matter are rewritten: Go's `\d`, `\w`, `\s` and `\b` are ASCII-only,
//! `\Q…\E` quotes literally, and a `[` inside a class is a literal (the crate nests classes and
//! reads `&&`/`~~` as set operations).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use regex::Regex;

const CACHE_LIMIT: usize = 1024;

static CACHE: LazyLock<Mutex<HashMap<String, Result<Regex, String>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Whether `text` matches the Go regular expression `pattern` (unanchored, as Go's
/// `MatchString`); an error message (Go's wording) when the pattern does not compile.
pub fn matches(pattern: &str, text: &str) -> Result<bool, String> {
    let re = compile(pattern)?;
    Ok(re.is_match(text))
}

pub fn compile(pattern: &str) -> Result<Regex, String> {
    if let Ok(cache) = CACHE.lock()
        && let Some(hit) = cache.get(pattern)
    {
        return hit.clone();
    }
    let compiled = Regex::new(&translate(pattern))
        .map_err(|_| format!("error parsing regexp: invalid pattern: `{pattern}`"));
    if let Ok(mut cache) = CACHE.lock() {
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(pattern.to_owned(), compiled.clone());
    }
    compiled
}

/// The class an ASCII Perl escape stands for in Go, written so that it reads the same inside and
/// outside a bracket expression.
fn perl_class(c: char) -> Option<&'static str> {
    Some(match c {
        'd' => "[0-9]",
        'D' => "[^0-9]",
        'w' => "[0-9A-Za-z_]",
        'W' => "[^0-9A-Za-z_]",
        's' => r"[\t\n\f\r ]",
        'S' => r"[^\t\n\f\r ]",
        _ => return None,
    })
}

/// Rewrites a Go pattern into the `regex` crate's syntax.
pub fn translate(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let Some(&next) = chars.get(i + 1) else {
                out.push('\\');
                break;
            };
            if let Some(class) = perl_class(next) {
                out.push_str(class);
                i += 2;
                continue;
            }
            if !in_class && (next == 'b' || next == 'B') {
                out.push_str(&format!("(?-u:\\{next})"));
                i += 2;
                continue;
            }
            if next == 'Q' {
                let rest: String = chars[i + 2..].iter().collect();
                let (literal, tail) = match rest.find("\\E") {
                    Some(end) => (&rest[..end], Some(end + 2)),
                    None => (rest.as_str(), None),
                };
                out.push_str(&regex::escape(literal));
                match tail {
                    Some(t) => i = i + 2 + rest[..t].chars().count(),
                    None => break,
                }
                continue;
            }
            out.push('\\');
            out.push(next);
            i += 2;
            continue;
        }
        if in_class {
            match c {
                ']' => {
                    in_class = false;
                    out.push(']');
                }
                '[' if chars.get(i + 1) == Some(&':') => {
                    // a POSIX class `[:alpha:]`: copy through its closing `:]`
                    let rest: String = chars[i..].iter().collect();
                    match rest.find(":]") {
                        Some(end) => {
                            out.push_str(&rest[..end + 2]);
                            i += rest[..end + 2].chars().count();
                            continue;
                        }
                        None => out.push_str("\\["),
                    }
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
            i += 1;
            continue;
        }
        if c == '[' {
            in_class = true;
            out.push('[');
            i += 1;
            if chars.get(i) == Some(&'^') {
                out.push('^');
                i += 1;
            }
            // a `]` right after the opening is a literal
            if chars.get(i) == Some(&']') {
                out.push_str("\\]");
                i += 1;
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_syntax_is_honoured() {
        let cases = [
            (r"^\d+$", "123", true),
            (r"^\d+$", "١٢٣", false), // Go's \d is ASCII-only
            (r"^\w+$", "héllo", false),
            (r"^[\w-]+$", "a-b_c", true),
            (r"^[^\s]+$", "a b", false),
            (r"\bfoo\b", "a foo b", true),
            (r"^\Qa.b\E$", "a.b", true),
            (r"^\Qa.b\E$", "axb", false),
            (r"^[a[]+$", "a[a", true),
            (r"^[]a]+$", "]a", true),
            (r"^[[:alpha:]]+$", "abc", true),
            (r"^[a&&b]+$", "a&b", true),
            ("^(a|b)*c$", "ababc", true),
            ("(?i)^abc$", "ABC", true),
            ("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "my-name", true),
            ("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "-bad", false),
            ("abc", "xxabcxx", true),
        ];
        for (pattern, text, want) in cases {
            assert_eq!(matches(pattern, text), Ok(want), "{pattern} ~ {text}");
        }
        assert!(matches("[a", "a").is_err());
    }
}
