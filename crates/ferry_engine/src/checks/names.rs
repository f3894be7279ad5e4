//! How a check file's names, types and expressions are compared with what the catalog says.
//!
//! Names: `public.users`, `users` (then `public`) or quoted parts (`"My Schema"."T"`); a name
//! that matches nothing as written is tried lowercased, as PostgreSQL folds unquoted names.
//! Types: as `format_type` prints them, with the common aliases normalised. Expressions:
//! token by token, ignoring case, whitespace, parentheses, casts and a `public.` qualification,
//! because the server's deparser adds all of those to what was written.

/// `public.users` → (`public`, `users`); `users` → (`public`, `users`); quotes removed.
pub fn split_name(text: &str) -> (String, String) {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = text.trim().chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    let parts: Vec<String> = parts.into_iter().map(|p| p.trim().to_owned()).collect();
    match parts.as_slice() {
        [name] => ("public".to_owned(), name.clone()),
        [schema, rest @ ..] => (schema.clone(), rest.join(".")),
        [] => ("public".to_owned(), String::new()),
    }
}

/// `users` → `public.users`, for messages.
pub fn display_name(text: &str) -> String {
    let (schema, name) = split_name(text);
    format!("{schema}.{name}")
}

/// Finds the item named `wanted` with `name_of`: as written first, then lowercased.
pub fn find_by<'a, T>(
    items: impl IntoIterator<Item = &'a T> + Clone,
    wanted: &str,
    name_of: impl Fn(&T) -> &str,
) -> Option<&'a T> {
    let exact = items.clone().into_iter().find(|i| name_of(i) == wanted);
    exact.or_else(|| {
        let lower = wanted.to_lowercase();
        items.into_iter().find(|i| name_of(i) == lower)
    })
}

/// Finds the item whose (schema, name) is `wanted` (a possibly qualified name).
pub fn find_qualified<'a, T>(
    items: impl IntoIterator<Item = &'a T> + Clone,
    wanted: &str,
    key: impl Fn(&T) -> (&str, &str),
) -> Option<&'a T> {
    let (schema, name) = split_name(wanted);
    let exact = items
        .clone()
        .into_iter()
        .find(|i| key(i) == (schema.as_str(), name.as_str()));
    exact.or_else(|| {
        let (schema, name) = (schema.to_lowercase(), name.to_lowercase());
        items
            .into_iter()
            .find(|i| key(i) == (schema.as_str(), name.as_str()))
    })
}

/// Whether a name written in a check (`email`, `"Email"`) names `actual`: as written, or
/// lowercased.
pub fn same_name(written: &str, actual: &str) -> bool {
    let written = written.trim();
    let unquoted = written
        .strip_prefix('"')
        .and_then(|w| w.strip_suffix('"'))
        .map(|w| w.replace("\"\"", "\""));
    match unquoted {
        Some(name) => name == actual,
        None => written == actual || written.to_lowercase() == actual,
    }
}

/// A type as `format_type` prints it: `int4` → `integer`, `varchar(255)` → `character
/// varying(255)`, `timestamptz` → `timestamp with time zone`, `int[]` → `integer[]`. A type it
/// does not know comes back lowercased with its spacing normalised.
pub fn normalize_type(text: &str) -> String {
    let mut t = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if !t.contains('"') {
        t = t.to_lowercase();
    }
    for (from, to) in [
        (" (", "("),
        ("( ", "("),
        (" )", ")"),
        (", ", ","),
        (" ,", ","),
        (" [", "["),
    ] {
        t = t.replace(from, to);
    }
    let mut dims = 0;
    loop {
        if let Some(rest) = t.strip_suffix(']')
            && let Some(open) = rest.rfind('[')
            && rest[open + 1..].chars().all(|c| c.is_ascii_digit())
        {
            t.truncate(open);
            t = t.trim_end().to_owned();
            dims += 1;
            continue;
        }
        if let Some(rest) = t.strip_suffix(" array") {
            t = rest.to_owned();
            dims += 1;
            continue;
        }
        break;
    }
    // The type modifiers, wherever they are (`timestamp(3) with time zone`).
    let (name, mods) = match (t.find('('), t.find(')')) {
        (Some(open), Some(close)) if open < close => {
            let name = format!("{} {}", t[..open].trim(), t[close + 1..].trim());
            (name.trim().to_owned(), t[open..=close].to_owned())
        }
        _ => (t.clone(), String::new()),
    };
    let with_mods = |base: &str| format!("{base}{mods}");
    let time = |base: &str, zone: &str| format!("{base}{mods} {zone} time zone");
    let base = match name.as_str() {
        "int" | "int4" | "integer" | "serial" | "serial4" => "integer".to_owned(),
        "int2" | "smallint" | "smallserial" | "serial2" => "smallint".to_owned(),
        "int8" | "bigint" | "bigserial" | "serial8" => "bigint".to_owned(),
        "float4" | "real" => "real".to_owned(),
        "float8" | "double precision" | "double" => "double precision".to_owned(),
        "float" => {
            let precision: Option<u32> = mods.trim_matches(['(', ')']).parse().ok();
            match precision {
                Some(p) if p <= 24 => "real".to_owned(),
                _ => "double precision".to_owned(),
            }
        }
        "bool" | "boolean" => "boolean".to_owned(),
        "decimal" | "numeric" => with_mods("numeric"),
        "varchar" | "character varying" | "char varying" => with_mods("character varying"),
        "char" | "character" if mods.is_empty() => "character(1)".to_owned(),
        "char" | "character" => with_mods("character"),
        "varbit" | "bit varying" => with_mods("bit varying"),
        "bit" if mods.is_empty() => "bit(1)".to_owned(),
        "timestamptz" | "timestamp with time zone" => time("timestamp", "with"),
        "timestamp" | "timestamp without time zone" => time("timestamp", "without"),
        "timetz" | "time with time zone" => time("time", "with"),
        "time" | "time without time zone" => time("time", "without"),
        _ => t.clone(),
    };
    format!("{base}{}", "[]".repeat(dims))
}

/// Whether a type written in a check is the type the catalog holds (`format_type` output).
pub fn same_type(expected: &str, actual: &str) -> bool {
    let strip = |t: String| {
        t.strip_prefix("public.")
            .or_else(|| t.strip_prefix("pg_catalog."))
            .map(str::to_owned)
            .unwrap_or(t)
    };
    strip(normalize_type(expected)) == strip(normalize_type(actual))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// An identifier or keyword, lowercased (or a quoted identifier that needs no quotes).
    Word(String),
    /// A quoted identifier that needs its quotes, without them.
    Quoted(String),
    /// A string literal with its quotes.
    Str(String),
    Number(String),
    Punct(String),
}

fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let is_op = |c: char| "+-*/<>=~!@#%^&|`?".contains(c);
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let start = i;
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            tokens.push(Token::Str(chars[start..i].iter().collect()));
        } else if c == '"' {
            let mut name = String::new();
            i += 1;
            while i < chars.len() {
                if chars[i] == '"' {
                    if chars.get(i + 1) == Some(&'"') {
                        name.push('"');
                        i += 2;
                        continue;
                    }
                    break;
                }
                name.push(chars[i]);
                i += 1;
            }
            i += 1;
            let plain = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
            tokens.push(if plain {
                Token::Word(name)
            } else {
                Token::Quoted(name)
            });
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            tokens.push(Token::Word(word.to_lowercase()));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            tokens.push(Token::Number(chars[start..i].iter().collect()));
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push(Token::Punct("::".to_owned()));
            i += 2;
        } else if is_op(c) {
            let start = i;
            while i < chars.len() && is_op(chars[i]) {
                i += 1;
            }
            let op: String = chars[start..i].iter().collect();
            tokens.push(Token::Punct(if op == "!=" { "<>".to_owned() } else { op }));
        } else {
            tokens.push(Token::Punct(c.to_string()));
            i += 1;
        }
    }
    tokens
}

/// An expression in a comparable form: tokens joined by single spaces, keywords and unquoted
/// names lowercased, without parentheses, casts (`::text`, `::character varying(20)[]`) or a
/// `public.` / `pg_catalog.` qualification. `(deleted_at IS NULL)` and `deleted_at is null`
/// become the same; so do `'active'::text` and `'active'`.
pub fn normalize_expression(text: &str) -> String {
    let tokens = tokenize(text);
    let punct = |t: Option<&Token>, p: &str| matches!(t, Some(Token::Punct(x)) if x == p);
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Punct(p) if p == "::" => {
                // Skip the type: a (qualified) name, the words of a multi-word type, a
                // modifier list and array brackets.
                i += 1;
                if matches!(tokens.get(i), Some(Token::Word(_) | Token::Quoted(_))) {
                    i += 1;
                }
                while punct(tokens.get(i), ".")
                    && matches!(tokens.get(i + 1), Some(Token::Word(_) | Token::Quoted(_)))
                {
                    i += 2;
                }
                while matches!(tokens.get(i), Some(Token::Word(w)) if matches!(w.as_str(), "varying" | "precision" | "with" | "without" | "time" | "zone"))
                {
                    i += 1;
                }
                if punct(tokens.get(i), "(") {
                    let mut j = i + 1;
                    while matches!(tokens.get(j), Some(Token::Number(_)))
                        || punct(tokens.get(j), ",")
                    {
                        j += 1;
                    }
                    if punct(tokens.get(j), ")") {
                        i = j + 1;
                    }
                }
                while punct(tokens.get(i), "[") && punct(tokens.get(i + 1), "]") {
                    i += 2;
                }
                continue;
            }
            Token::Word(w)
                if (w == "public" || w == "pg_catalog") && punct(tokens.get(i + 1), ".") =>
            {
                i += 2;
                continue;
            }
            Token::Punct(p) if p == "(" || p == ")" => {}
            Token::Word(w) | Token::Number(w) | Token::Punct(w) => out.push(w.clone()),
            Token::Quoted(q) => out.push(format!("\"{}\"", q.replace('"', "\"\""))),
            Token::Str(s) => out.push(
                s.strip_prefix("'public.")
                    .map(|rest| format!("'{rest}"))
                    .unwrap_or_else(|| s.clone()),
            ),
        }
        i += 1;
    }
    out.join(" ")
}

/// Whether two expressions are the same once normalised ([`normalize_expression`]).
pub fn same_expression(a: &str, b: &str) -> bool {
    normalize_expression(a) == normalize_expression(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_and_default_to_public() {
        assert_eq!(split_name("users"), ("public".into(), "users".into()));
        assert_eq!(split_name("app.users"), ("app".into(), "users".into()));
        assert_eq!(
            split_name("\"My Schema\".\"a.b\""),
            ("My Schema".into(), "a.b".into())
        );
        assert_eq!(display_name("users"), "public.users");
        let items = [("public", "users"), ("app", "Items")];
        assert_eq!(
            find_qualified(&items, "Users", |i| (i.0, i.1)),
            Some(&("public", "users"))
        );
        assert_eq!(
            find_qualified(&items, "app.Items", |i| (i.0, i.1)),
            Some(&("app", "Items"))
        );
        assert_eq!(find_qualified(&items, "app.items", |i| (i.0, i.1)), None);
    }

    #[test]
    fn type_aliases_become_format_type_output() {
        for (alias, canonical) in [
            ("int", "integer"),
            ("INT4", "integer"),
            ("serial", "integer"),
            ("int8", "bigint"),
            ("bigserial", "bigint"),
            ("varchar(255)", "character varying(255)"),
            ("varchar", "character varying"),
            ("character varying (20)", "character varying(20)"),
            ("timestamptz", "timestamp with time zone"),
            ("timestamp", "timestamp without time zone"),
            ("timestamptz(3)", "timestamp(3) with time zone"),
            ("timestamp(3) with time zone", "timestamp(3) with time zone"),
            ("bool", "boolean"),
            ("float8", "double precision"),
            ("float", "double precision"),
            ("float(10)", "real"),
            ("decimal(10, 2)", "numeric(10,2)"),
            ("char", "character(1)"),
            ("int[]", "integer[]"),
            ("text[][]", "text[][]"),
            ("varchar(20)[]", "character varying(20)[]"),
            ("uuid", "uuid"),
            ("jsonb", "jsonb"),
            ("public.status", "public.status"),
        ] {
            assert_eq!(normalize_type(alias), canonical, "{alias}");
            assert_eq!(
                normalize_type(canonical),
                canonical,
                "idempotent: {canonical}"
            );
        }
        assert!(same_type("status", "public.status"));
        assert!(same_type("timestamptz", "timestamp with time zone"));
        assert!(!same_type("text", "character varying(255)"));
        assert!(!same_type("app.status", "public.status"));
    }

    #[test]
    fn expressions_compare_without_the_deparsers_decoration() {
        for (written, deparsed) in [
            ("deleted_at IS NULL", "(deleted_at IS NULL)"),
            ("status = 'active'", "(status = 'active'::text)"),
            ("'active'", "'active'::character varying"),
            ("now()", "now()"),
            ("lower(email)", "lower((email)::text)"),
            (
                "nextval('users_id_seq'::regclass)",
                "nextval('public.users_id_seq'::regclass)",
            ),
            ("a != 1 and b > 2", "((a <> 1) AND (b > 2))"),
            ("\"userid\" = 1", "(userid = 1)"),
            ("x::timestamp with time zone > now()", "(x > now())"),
            ("'{}'::jsonb", "'{}'"),
            ("public.f(x)", "f(x)"),
        ] {
            assert!(
                same_expression(written, deparsed),
                "{written} vs {deparsed}: {} / {}",
                normalize_expression(written),
                normalize_expression(deparsed)
            );
        }
        assert!(!same_expression(
            "deleted_at IS NULL",
            "(deleted_at IS NOT NULL)"
        ));
        assert!(!same_expression("status = 'a'", "status = 'b'"));
        assert!(!same_expression("\"Name\"", "name"));
    }
}
