//! Narrowing a model to some schemas (`ferry diff --schema app`).

use crate::model::Catalog;

impl Catalog {
    /// Keeps only what lives in `schemas`: the schemas themselves, the objects in them, and
    /// the comments and privileges on those objects.
    pub fn retain_schemas(&mut self, schemas: &[String]) {
        let keep = |schema: &str| schemas.iter().any(|s| s == schema);
        self.schemas.retain(|s| keep(&s.name));
        self.extensions.retain(|e| keep(&e.schema));
        self.enums.retain(|e| keep(&e.schema));
        self.domains.retain(|d| keep(&d.schema));
        self.composites.retain(|c| keep(&c.schema));
        self.sequences.retain(|s| keep(&s.schema));
        self.tables.retain(|t| keep(&t.schema));
        self.views.retain(|v| keep(&v.schema));
        self.functions.retain(|f| keep(&f.schema));
        self.comments
            .retain(|c| object_schema(&c.object).is_some_and(|s| keep(&s)));
        self.grants
            .retain(|p| object_schema(&p.object).is_some_and(|s| keep(&s)));
        self.revokes
            .retain(|p| object_schema(&p.object).is_some_and(|s| keep(&s)));
    }
}

/// The schema of an object as `COMMENT ON` and `GRANT` name it: `SCHEMA app` is `app`,
/// `TABLE app.users` and `COLUMN app.users.id` are `app`, `POLICY p ON app.users` is `app`.
pub fn object_schema(object: &str) -> Option<String> {
    if let Some(name) = object.strip_prefix("SCHEMA ") {
        return first_identifier(name).map(|(s, _)| s);
    }
    let qualified = match object.rfind(" ON ") {
        Some(at)
            if object.starts_with("CONSTRAINT ")
                || object.starts_with("TRIGGER ")
                || object.starts_with("POLICY ") =>
        {
            object[at + 4..].trim_start_matches("DOMAIN ")
        }
        _ => {
            let kind_words = if object.starts_with("MATERIALIZED VIEW ") {
                2
            } else {
                1
            };
            object.splitn(kind_words + 1, ' ').nth(kind_words)?
        }
    };
    first_identifier(qualified).map(|(s, _)| s)
}

/// The first identifier of `text` (quoted or not), unquoted, and the rest.
fn first_identifier(text: &str) -> Option<(String, &str)> {
    if let Some(rest) = text.strip_prefix('"') {
        let mut name = String::new();
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if chars.peek().is_some_and(|&(_, n)| n == '"') {
                    name.push('"');
                    chars.next();
                } else {
                    return Some((name, &rest[i + 1..]));
                }
            } else {
                name.push(c);
            }
        }
        None
    } else {
        let end = text.find(['.', ' ', '(']).unwrap_or(text.len());
        (end > 0).then(|| (text[..end].to_owned(), &text[end..]))
    }
}

#[cfg(test)]
mod tests {
    use super::object_schema;

    #[test]
    fn objects_name_their_schema() {
        let s = |o: &str| object_schema(o);
        assert_eq!(s("SCHEMA app").as_deref(), Some("app"));
        assert_eq!(s("TABLE app.users").as_deref(), Some("app"));
        assert_eq!(s("COLUMN app.users.id").as_deref(), Some("app"));
        assert_eq!(s("MATERIALIZED VIEW app.m").as_deref(), Some("app"));
        assert_eq!(s("FUNCTION app.f(integer)").as_deref(), Some("app"));
        assert_eq!(
            s("POLICY \"p ON x\" ON \"Odd Schema\".t").as_deref(),
            Some("Odd Schema")
        );
        assert_eq!(
            s("CONSTRAINT c ON DOMAIN app.email").as_deref(),
            Some("app")
        );
        assert_eq!(s("TYPE \"a\"\"b\".t").as_deref(), Some("a\"b"));
    }
}
