//! Passwords written in SQL, so they can be kept out of output and logs.
//!
//! Migrations sometimes create roles with a password or a user mapping with a password option, often
//! inside a `DO` block that creates the role only when missing. The engine registers these literals as
//! secrets before running anything, so an error message quoting the statement, a log line or a
//! `--json` report never shows them.

use std::ops::Range;

use crate::split::Script;
use crate::tokens::{self, Class, Token};

/// How deep dollar-quoted strings are searched for nested SQL (a `DO` body holding an `EXECUTE $q$…$q$`
/// is two levels).
const MAX_NESTING: usize = 3;

/// Byte ranges of password literals in `source`:
/// - the string after `PASSWORD` in `CREATE/ALTER ROLE/USER/GROUP … [ENCRYPTED] PASSWORD '…'`;
/// - the value of a `password` option: `CREATE/ALTER USER MAPPING … OPTIONS ([ADD|SET] password '…')`;
/// - the connection string of `CREATE/ALTER SUBSCRIPTION … CONNECTION '…'` (it may hold `password=`).
///
/// Each range covers the literal's *content*: without its quotes or dollar delimiters, escapes as
/// written (`&source[range]` is what the statement text contains). Dollar-quoted strings (DO and
/// function bodies) are searched too. Best effort on files that do not split: what was scanned before
/// the error is searched.
pub fn password_literals(source: &str) -> Vec<Range<usize>> {
    let script = Script::scan(source);
    let mut found = Vec::new();
    search(source, &script.tokens, 0, &mut found);
    found.sort_by_key(|r| r.start);
    found.dedup();
    found
}

fn search(source: &str, tokens: &[Token], nesting: usize, found: &mut Vec<Range<usize>>) {
    let code: Vec<&Token> = tokens::code(tokens).collect();
    for (i, token) in code.iter().enumerate() {
        let next = code.get(i + 1).filter(|t| t.is_string());
        let is_password = tokens::identifier_name(token, source).as_deref() == Some("password");
        if let Some(literal) = next
            && (is_password
                || (token.is(source, "connection") && in_subscription(source, &code, i)))
        {
            found.extend(tokens::string_content(literal, source));
        }
        // SQL in a body: scan it as SQL; a body that does not scan has nothing to find.
        if token.class == Class::DollarString
            && nesting < MAX_NESTING
            && let Some(content) = tokens::string_content(token, source)
            && let Ok(inner) = tokens::scan(&source[content.clone()], content.start)
        {
            search(source, &inner, nesting + 1, found);
        }
    }
}

/// Whether `CONNECTION` at `i` belongs to `CREATE/ALTER SUBSCRIPTION` (searching back to the start of
/// its statement).
fn in_subscription(source: &str, code: &[&Token], i: usize) -> bool {
    code[..i]
        .iter()
        .rev()
        .take_while(|t| !t.is_punct(source, ";"))
        .any(|t| t.is(source, "subscription"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str) -> Vec<&str> {
        password_literals(source)
            .into_iter()
            .map(|r| &source[r])
            .collect()
    }

    #[test]
    fn role_passwords() {
        let source = "CREATE ROLE app LOGIN PASSWORD 's3cret';
alter user bob with encrypted password 'md5abc' valid until 'infinity';
CREATE GROUP g PASSWORD E'it\\'s';
ALTER ROLE x PASSWORD NULL;
create role y password $p$dollar$p$;
select 'password', 'PASSWORD';";
        assert_eq!(texts(source), vec!["s3cret", "md5abc", "it\\'s", "dollar"]);
    }

    #[test]
    fn user_mappings_and_subscriptions() {
        let source = "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'u', password 'pw1');
ALTER USER MAPPING FOR app SERVER s OPTIONS (SET password 'pw2', ADD \"password\" 'pw3');
CREATE SUBSCRIPTION sub CONNECTION 'host=h password=pw4' PUBLICATION p;";
        assert_eq!(
            texts(source),
            vec!["pw1", "pw2", "pw3", "host=h password=pw4"]
        );
    }

    #[test]
    fn inside_do_blocks_and_with_copy_data() {
        let source = "DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') THEN
    CREATE ROLE app LOGIN PASSWORD 'inner';
    EXECUTE $q$ALTER ROLE app PASSWORD 'deeper'$q$;
  END IF;
END
$$;
COPY t FROM stdin;
password\t'not a secret'
\\.
ALTER ROLE app PASSWORD 'after';";
        assert_eq!(texts(source), vec!["inner", "deeper", "after"]);
        let ranges = password_literals(source);
        assert_eq!(ranges[0].start, source.find("inner").unwrap());
    }

    #[test]
    fn offsets_are_into_the_original_text() {
        let source = "\u{feff}create role a password 'x';";
        assert_eq!(password_literals(source), vec![27..28]);
    }

    #[test]
    fn best_effort_on_broken_files() {
        assert_eq!(texts("create role a password 'x';\n\\i oops\n"), vec!["x"]);
        assert_eq!(texts("create role a password 'x"), Vec::<&str>::new());
    }
}
