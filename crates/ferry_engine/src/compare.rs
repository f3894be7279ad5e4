//! Comparing two schema models: equal, equal but for column order (a note, not a failure),
//! or different, shown as a unified diff of their canonical dumps.

/// Whether `after` equals `before`; a column-order-only difference counts as equal and adds a note.
pub fn same_schema(
    before: &ferry_schema::Catalog,
    after: &ferry_schema::Catalog,
    notes: &mut Vec<String>,
    what: &str,
) -> bool {
    if before == after {
        return true;
    }
    if without_column_order(before) == without_column_order(after) {
        notes.push(format!(
            "{what}: the same columns in another order (a column dropped and added again lands at the end)"
        ));
        return true;
    }
    false
}

fn without_column_order(catalog: &ferry_schema::Catalog) -> ferry_schema::Catalog {
    let mut catalog = catalog.clone();
    for table in &mut catalog.tables {
        table.columns.sort_by(|a, b| a.name.cmp(&b.name));
    }
    for composite in &mut catalog.composites {
        composite.attributes.sort_by(|a, b| a.name.cmp(&b.name));
    }
    catalog
}

/// The difference between two models as a unified diff of their canonical dumps.
pub fn dump_diff(
    before: &ferry_schema::Catalog,
    after: &ferry_schema::Catalog,
    (old, new): (&str, &str),
) -> String {
    let (a, b) = (ferry_schema::dump(before), ferry_schema::dump(after));
    similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(2)
        .header(old, new)
        .to_string()
}
