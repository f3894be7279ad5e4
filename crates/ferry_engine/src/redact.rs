//! Keeping secrets out of every output.
//!
//! Every password ferry learns (from a URL, `DB_PASSWORD`, `PGPASSWORD`, `.pgpass`, an
//! environment in ferry.toml, or a `CREATE ROLE … PASSWORD '…'` literal in a migration) is
//! registered here, and every string that leaves the process (stdout, stderr, log files,
//! JSON) passes through [`redact`] first. Masking by value rather than by position also
//! catches a secret that the server echoes back inside an error message.

use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};

/// What a secret is replaced with.
pub const MASK: &str = "********";

fn secrets() -> &'static Mutex<Vec<String>> {
    static SECRETS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| Mutex::new(Vec::new()))
}

/// Shorter secrets are not masked by value: masking every `pw` or `1` in all output would make
/// it unreadable. (A URL's password is still masked by position, whatever its length.)
const MIN_SECRET_LEN: usize = 4;

/// Remembers `secret` so that [`redact`] masks it from now on. Very short strings are ignored.
pub fn register(secret: &str) {
    if secret.chars().count() < MIN_SECRET_LEN {
        return;
    }
    let mut list = secrets().lock().unwrap_or_else(|e| e.into_inner());
    if !list.iter().any(|s| s == secret) {
        list.push(secret.to_owned());
        // Longest first, so a secret that contains another is masked whole.
        list.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// Returns `text` with every registered secret, and the password of any URL in it, masked.
pub fn redact(text: &str) -> Cow<'_, str> {
    let list = secrets().lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Cow::Borrowed(text);
    for secret in list.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), MASK));
        }
    }
    drop(list);
    match mask_url_passwords(&out) {
        Some(masked) => Cow::Owned(masked),
        None => out,
    }
}

/// Masks `user:password@` in `postgres://` and `postgresql://` URLs; `None` when there is none.
fn mask_url_passwords(text: &str) -> Option<String> {
    let mut result = String::new();
    let mut rest = text;
    let mut changed = false;
    while let Some(start) = find_scheme(rest) {
        let (before, from_scheme) = rest.split_at(start);
        result.push_str(before);
        let scheme_len = from_scheme.find("://").map(|i| i + 3).unwrap_or(0);
        let (scheme, after) = from_scheme.split_at(scheme_len);
        result.push_str(scheme);
        // The authority ends at the first '/', '?', '#' or whitespace.
        let end = after
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                result.push_str(&authority[..colon + 1]);
                result.push_str(MASK);
                result.push_str(&authority[at..]);
                changed = true;
            }
            _ => result.push_str(authority),
        }
        rest = &after[end..];
    }
    if !changed {
        return None;
    }
    result.push_str(rest);
    Some(result)
}

fn find_scheme(text: &str) -> Option<usize> {
    ["postgres://", "postgresql://"]
        .iter()
        .filter_map(|s| text.find(s))
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_url_password() {
        assert_eq!(
            redact("connect postgres://bob:hunter2@db:5432/app?x=1 now"),
            "connect postgres://bob:********@db:5432/app?x=1 now"
        );
        assert_eq!(redact("postgresql://bob@db/app"), "postgresql://bob@db/app");
    }

    #[test]
    fn masks_registered_secrets_everywhere() {
        register("s3cr3t-value");
        assert_eq!(
            redact("password authentication failed near 's3cr3t-value'"),
            "password authentication failed near '********'"
        );
        register("");
        assert_eq!(redact("nothing here"), "nothing here");
    }
}
