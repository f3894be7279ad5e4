//! `diff` against a real PostgreSQL: for each pair of schemas A and B, the DDL `diff(A, B)`
//! applied to a database holding A (in one transaction, as `psql -1` would) leaves a
//! database whose model equals B's, and the diff from there to B is empty. Every pair runs
//! in both directions.

use ferry_schema::diff::{Action, Change, DiffOptions, diff, render};
use ferry_schema::{Catalog, ReadOptions, read};
use ferry_test_support::{TestDb, fresh_db};

fn model(db: &TestDb) -> Catalog {
    read(&mut db.client(), &ReadOptions::default()).expect("read the model")
}

fn options() -> DiffOptions {
    DiffOptions {
        server_major: ferry_test_support::cluster().major(),
    }
}

/// The model with every table's columns (and composite type's attributes) sorted by name: a
/// column added by a diff lands at the end, wherever B has it.
fn ignoring_column_order(mut catalog: Catalog) -> Catalog {
    for t in &mut catalog.tables {
        t.columns.sort_by(|a, b| a.name.cmp(&b.name));
    }
    for t in &mut catalog.composites {
        t.attributes.sort_by(|a, b| a.name.cmp(&b.name));
    }
    catalog
}

const ROLE: &str = "DO $$ BEGIN CREATE ROLE ferry_diff_reader; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;";

fn build(sql: &str) -> TestDb {
    let db = fresh_db();
    db.client()
        .batch_execute(&format!("{ROLE}\n{sql}"))
        .unwrap_or_else(|e| panic!("building the schema failed: {e:?}\n{sql}"));
    db
}

/// Applies `diff(a, b)` to a database holding `a`; returns the changes.
fn converge(a: &str, b: &str) -> Vec<Change> {
    let from = build(a);
    let to = build(b);
    let target = ignoring_column_order(model(&to));
    let changes = diff(&model(&from), &model(&to), &options());
    let sql = render(&changes);
    from.client()
        .batch_execute(&format!("BEGIN;\n{sql}\nCOMMIT;"))
        .unwrap_or_else(|e| panic!("applying the diff failed: {e:?}\n{sql}"));
    let after = model(&from);
    assert_eq!(
        ignoring_column_order(after.clone()),
        target,
        "the diff did not reach the target:\n{sql}\n--- reached:\n{}\n--- target:\n{}",
        ferry_schema::dump(&after),
        ferry_schema::dump(&model(&to))
    );
    let again = diff(&after, &model(&to), &options());
    assert!(
        again.is_empty(),
        "a second diff is not empty:\n{}",
        render(&again)
    );
    changes
}

/// Both directions; returns the changes of A → B.
fn both_ways(a: &str, b: &str) -> Vec<Change> {
    let forward = converge(a, b);
    converge(b, a);
    forward
}

fn sql_of(changes: &[Change]) -> String {
    render(changes)
}

const RICH: &str = r#"
CREATE SCHEMA app;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN app.email AS text CHECK (VALUE LIKE '%@%');
CREATE TYPE app.pair AS (a integer, b text);
CREATE SEQUENCE app.counter START 10 INCREMENT 5;
CREATE FUNCTION app.double(i integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT i * 2';
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated := now(); RETURN NEW; END $$;
CREATE TABLE app.users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email app.email NOT NULL UNIQUE,
    name varchar(100) NOT NULL DEFAULT 'anon',
    mood app.mood DEFAULT 'ok',
    twice integer GENERATED ALWAYS AS (app.double(length(name))) STORED,
    updated timestamptz,
    n integer DEFAULT nextval('app.counter'),
    CHECK (length(name) > 0)
);
CREATE TABLE app.posts (
    id serial PRIMARY KEY,
    author bigint NOT NULL REFERENCES app.users (id) ON DELETE CASCADE,
    body text,
    at date NOT NULL DEFAULT current_date
);
CREATE INDEX posts_author ON app.posts (author) WHERE body IS NOT NULL;
CREATE TABLE app.events (at date NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX events_at ON app.events (at);
CREATE VIEW app.named AS SELECT id, name FROM app.users;
CREATE VIEW app.named_happy AS SELECT id FROM app.named WHERE id > 0;
CREATE MATERIALIZED VIEW app.post_counts AS SELECT author, count(*) AS n FROM app.posts GROUP BY author;
CREATE UNIQUE INDEX post_counts_author ON app.post_counts (author);
CREATE TRIGGER users_touch BEFORE UPDATE ON app.users FOR EACH ROW EXECUTE FUNCTION app.touch();
ALTER TABLE app.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_self ON app.users FOR SELECT TO ferry_diff_reader USING (name = current_user);
COMMENT ON TABLE app.users IS 'people';
COMMENT ON COLUMN app.users.email IS 'login';
GRANT USAGE ON SCHEMA app TO ferry_diff_reader;
GRANT SELECT ON app.users TO ferry_diff_reader;
REVOKE EXECUTE ON FUNCTION app.double(integer) FROM PUBLIC;
"#;

#[test]
fn empty_and_a_full_schema_both_ways() {
    let changes = both_ways("", RICH);
    assert!(changes.iter().all(|c| c.destructive.is_none()));
    let back = converge(RICH, "");
    let text = sql_of(&back);
    assert!(text.contains("-- DESTRUCTIVE: drops "), "{text}");
    assert!(text.contains("DROP TABLE "), "{text}");
}

#[test]
fn columns_change_in_place() {
    let a = "CREATE TABLE t (
        id integer PRIMARY KEY,
        short varchar(10),
        num text,
        flag boolean DEFAULT false,
        note text NOT NULL,
        gone text,
        coll text,
        ident integer GENERATED BY DEFAULT AS IDENTITY (START WITH 5)
    );";
    let b = "CREATE TABLE t (
        id bigint PRIMARY KEY,
        short varchar(20),
        num integer,
        flag boolean DEFAULT true NOT NULL,
        note text,
        coll text COLLATE \"C\",
        ident integer GENERATED ALWAYS AS IDENTITY (START WITH 5 INCREMENT BY 3),
        added timestamptz DEFAULT now()
    );";
    let changes = both_ways(a, b);
    let text = sql_of(&changes);
    for expected in [
        "ALTER TABLE public.t ALTER COLUMN id TYPE bigint;",
        "ALTER TABLE public.t ALTER COLUMN short TYPE character varying(20);",
        "ALTER TABLE public.t ALTER COLUMN num TYPE integer USING num::integer;",
        "ALTER TABLE public.t ALTER COLUMN flag SET DEFAULT true;",
        "ALTER TABLE public.t ALTER COLUMN flag SET NOT NULL;",
        "ALTER TABLE public.t ALTER COLUMN note DROP NOT NULL;",
        "ALTER TABLE public.t ALTER COLUMN ident SET GENERATED ALWAYS;",
        "ALTER TABLE public.t ADD COLUMN added timestamp with time zone DEFAULT now();",
        "ALTER TABLE public.t DROP COLUMN gone;",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // Only the lossy changes are marked.
    let marked: Vec<&str> = changes
        .iter()
        .filter(|c| c.destructive.is_some())
        .map(|c| c.object.as_str())
        .collect();
    assert_eq!(marked, ["column public.t.gone", "column public.t.num"]);
    // Nothing is dropped and created again.
    assert!(!text.contains("DROP TABLE"), "{text}");
}

#[test]
fn a_renamed_column_is_a_drop_and_an_add_never_a_guess() {
    let changes = converge(
        "CREATE TABLE t (id int, old_name text);",
        "CREATE TABLE t (id int, new_name text);",
    );
    let text = sql_of(&changes);
    assert!(text.contains("-- DESTRUCTIVE: drops column public.t.old_name and its values (a renamed column is a drop and an add: ferry never guesses renames)\nALTER TABLE public.t DROP COLUMN old_name;"), "{text}");
    assert!(
        text.contains("ALTER TABLE public.t ADD COLUMN new_name text;"),
        "{text}"
    );
    assert!(!text.contains("RENAME"), "{text}");
}

#[test]
fn enums_grow_in_place_and_shrink_by_rebuilding() {
    let a = "CREATE TYPE mood AS ENUM ('sad', 'happy');
        CREATE TABLE t (m mood DEFAULT 'sad', ms mood[]);
        CREATE INDEX t_happy ON t (m) WHERE m = 'happy';
        CREATE VIEW v AS SELECT m FROM t;";
    let grown = "CREATE TYPE mood AS ENUM ('meh', 'sad', 'ok', 'happy', 'ecstatic');
        CREATE TABLE t (m mood DEFAULT 'sad', ms mood[]);
        CREATE INDEX t_happy ON t (m) WHERE m = 'happy';
        CREATE VIEW v AS SELECT m FROM t;";
    let text = sql_of(&converge(a, grown));
    for expected in [
        "ALTER TYPE public.mood ADD VALUE 'meh' BEFORE 'sad';",
        "ALTER TYPE public.mood ADD VALUE 'ok' AFTER 'sad';",
        "ALTER TYPE public.mood ADD VALUE 'ecstatic' AFTER 'happy';",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(
        !text.contains("DROP VIEW"),
        "growing an enum rebuilds nothing:\n{text}"
    );
    // Shrinking: renamed away, created again, columns converted, index and view rebuilt.
    let text = sql_of(&converge(grown, a));
    assert!(
        text.contains("ALTER TYPE public.mood RENAME TO mood__ferry_old;"),
        "{text}"
    );
    assert!(
        text.contains(
            "ALTER TABLE public.t ALTER COLUMN m TYPE public.mood USING m::text::public.mood;"
        ),
        "{text}"
    );
    assert!(text.contains("DROP TYPE public.mood__ferry_old;"), "{text}");
    assert!(text.contains("DROP VIEW public.v;"), "{text}");
}

#[test]
fn views_are_rebuilt_with_their_dependents_and_columns_they_read_can_change() {
    let a = "CREATE TABLE t (id int, name varchar(10));
        CREATE VIEW base AS SELECT id, name FROM t;
        CREATE VIEW top AS SELECT name FROM base;
        CREATE VIEW other AS SELECT 1 AS one;
        GRANT SELECT ON top TO ferry_diff_reader;
        COMMENT ON VIEW top IS 'the top';";
    let b = "CREATE TABLE t (id int, name text);
        CREATE VIEW base AS SELECT id, name FROM t WHERE id > 0;
        CREATE VIEW top AS SELECT name FROM base;
        CREATE VIEW other AS SELECT 1 AS one;
        GRANT SELECT ON top TO ferry_diff_reader;
        COMMENT ON VIEW top IS 'the top';";
    let text = sql_of(&both_ways(a, b));
    let drop_top = text.find("DROP VIEW public.top;").expect(&text);
    let drop_base = text.find("DROP VIEW public.base;").expect(&text);
    assert!(drop_top < drop_base, "{text}");
    assert!(
        !text.contains("public.other"),
        "an unrelated view stays:\n{text}"
    );
    assert!(
        text.contains("GRANT SELECT ON TABLE public.top TO ferry_diff_reader;"),
        "a rebuilt view gets its privileges back:\n{text}"
    );
    assert!(
        text.contains("COMMENT ON VIEW public.top IS 'the top';"),
        "{text}"
    );
}

#[test]
fn functions_are_replaced_in_place_or_rebuilt_with_their_triggers() {
    let a = "CREATE FUNCTION f(i int) RETURNS int LANGUAGE sql AS 'SELECT i';
        CREATE FUNCTION trig() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE FUNCTION g(a int) RETURNS int LANGUAGE sql AS 'SELECT a';
        CREATE TABLE t (x int DEFAULT g(1) CHECK (f(x) > 0));
        CREATE TRIGGER t_trig BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION trig();";
    let b = "CREATE FUNCTION f(i int) RETURNS int LANGUAGE sql AS 'SELECT i + 1';
        CREATE FUNCTION trig() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.x := 1; RETURN NEW; END $$;
        CREATE FUNCTION g(b int) RETURNS bigint LANGUAGE sql AS 'SELECT b::bigint';
        CREATE TABLE t (x int DEFAULT g(1) CHECK (f(x) > 0));
        CREATE TRIGGER t_trig BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION trig();";
    let text = sql_of(&both_ways(a, b));
    assert!(
        text.contains("CREATE OR REPLACE FUNCTION public.f(i integer)"),
        "{text}"
    );
    assert!(!text.contains("DROP FUNCTION public.f("), "{text}");
    assert!(
        !text.contains("DROP TRIGGER"),
        "a replaced function keeps its trigger:\n{text}"
    );
    // g's result and argument name change: dropped, with the default that calls it.
    assert!(
        text.contains("DROP FUNCTION public.g(a integer);"),
        "{text}"
    );
    assert!(
        text.contains("ALTER TABLE public.t ALTER COLUMN x DROP DEFAULT;"),
        "{text}"
    );
}

#[test]
fn keys_foreign_keys_and_indexes() {
    let a = "CREATE TABLE parent (id int PRIMARY KEY, code text);
        CREATE TABLE child (id int, parent_id int REFERENCES parent (id), v int);
        ALTER TABLE child ADD CONSTRAINT child_v CHECK (v > 0) NOT VALID;
        CREATE INDEX child_v_idx ON child (v);
        CREATE INDEX child_p_idx ON child (parent_id);";
    let b = "CREATE TABLE parent (id int, code text, CONSTRAINT parent_pkey PRIMARY KEY (id, code));
        CREATE TABLE child (id int, parent_id int, code text, v int,
            CONSTRAINT child_parent_id_fkey FOREIGN KEY (parent_id, code) REFERENCES parent (id, code) DEFERRABLE);
        ALTER TABLE child ADD CONSTRAINT child_v CHECK (v > 0);
        CREATE INDEX child_v_idx ON child (v DESC);
        CREATE INDEX child_p_idx ON child (parent_id);";
    let text = sql_of(&both_ways(a, b));
    assert!(
        text.contains("ALTER TABLE public.child VALIDATE CONSTRAINT child_v;"),
        "{text}"
    );
    let drop_fk = text
        .find("ALTER TABLE public.child DROP CONSTRAINT child_parent_id_fkey;")
        .expect(&text);
    let drop_pk = text
        .find("ALTER TABLE public.parent DROP CONSTRAINT parent_pkey;")
        .expect(&text);
    assert!(drop_fk < drop_pk, "{text}");
    assert!(text.contains("DROP INDEX public.child_v_idx;"), "{text}");
    assert!(!text.contains("DROP INDEX public.child_p_idx;"), "{text}");
}

#[test]
fn triggers_policies_and_row_level_security() {
    let a =
        "CREATE FUNCTION trig() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TABLE t (owner text, v int);
        CREATE TRIGGER t1 BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION trig();
        CREATE TRIGGER t2 BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION trig();
        ALTER TABLE t ENABLE ROW LEVEL SECURITY;
        CREATE POLICY p1 ON t FOR SELECT USING (owner = current_user);
        CREATE POLICY p2 ON t FOR ALL USING (true);";
    let b =
        "CREATE FUNCTION trig() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TABLE t (owner text, v int);
        CREATE TRIGGER t1 BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION trig();
        ALTER TABLE t DISABLE TRIGGER t1;
        CREATE TRIGGER t2 BEFORE UPDATE OR DELETE ON t FOR EACH ROW EXECUTE FUNCTION trig();
        ALTER TABLE t ENABLE ROW LEVEL SECURITY;
        ALTER TABLE t FORCE ROW LEVEL SECURITY;
        CREATE POLICY p1 ON t FOR SELECT TO ferry_diff_reader USING (owner = session_user);
        CREATE POLICY p2 ON t AS RESTRICTIVE FOR ALL USING (true);";
    let text = sql_of(&both_ways(a, b));
    for expected in [
        "ALTER TABLE public.t DISABLE TRIGGER t1;",
        "DROP TRIGGER t2 ON public.t;",
        "ALTER TABLE public.t FORCE ROW LEVEL SECURITY;",
        "ALTER POLICY p1 ON public.t TO ferry_diff_reader USING ((owner = SESSION_USER));",
        "DROP POLICY p2 ON public.t;",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn partitions_attach_detach_and_rebuild() {
    let a = "CREATE TABLE ev (at date NOT NULL, kind text) PARTITION BY RANGE (at);
        CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        CREATE TABLE ev_2025 PARTITION OF ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        CREATE TABLE loose (at date NOT NULL, kind text);
        CREATE TABLE log (at date, kind text) PARTITION BY LIST (kind);
        CREATE TABLE log_a PARTITION OF log FOR VALUES IN ('a');";
    let b = "CREATE TABLE ev (at date NOT NULL, kind text) PARTITION BY RANGE (at);
        CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-06-01');
        ALTER TABLE ev_2024 ALTER COLUMN kind SET NOT NULL;
        ALTER TABLE ev_2024 ALTER COLUMN kind SET DEFAULT 'x';
        CREATE TABLE ev_2025 (at date NOT NULL, kind text);
        CREATE TABLE loose PARTITION OF ev FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        CREATE TABLE log (at date, kind text) PARTITION BY RANGE (at);
        CREATE TABLE log_a PARTITION OF log FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');";
    let text = sql_of(&both_ways(a, b));
    for expected in [
        "ALTER TABLE public.ev DETACH PARTITION public.ev_2024;",
        "ALTER TABLE public.ev ATTACH PARTITION public.ev_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-06-01');",
        "ALTER TABLE public.ev DETACH PARTITION public.ev_2025;",
        "ALTER TABLE public.ev ATTACH PARTITION public.loose FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
        "DROP TABLE public.log;",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn types_sequences_and_domains_change_in_place() {
    let a = "CREATE DOMAIN pos AS integer CHECK (VALUE > 0);
        CREATE DOMAIN code AS varchar(5);
        CREATE TYPE pair AS (a int, b text, c text);
        CREATE SEQUENCE s START 1;
        CREATE TABLE t (id int, p pos, c code);
        CREATE SEQUENCE owned;
        ALTER SEQUENCE owned OWNED BY t.id;";
    let b = "CREATE DOMAIN pos AS integer DEFAULT 1 NOT NULL CHECK (VALUE > 1) CONSTRAINT small CHECK (VALUE < 100);
        CREATE DOMAIN code AS text;
        CREATE TYPE pair AS (a bigint, c text, d date);
        CREATE SEQUENCE s START 100 INCREMENT 10 CACHE 5 CYCLE;
        CREATE TABLE t (id int, p pos, c code);
        CREATE SEQUENCE owned;";
    let text = sql_of(&both_ways(a, b));
    for expected in [
        "ALTER DOMAIN public.pos SET DEFAULT 1;",
        "ALTER DOMAIN public.pos SET NOT NULL;",
        "ALTER DOMAIN public.pos ADD CONSTRAINT small CHECK ((VALUE < 100));",
        "ALTER DOMAIN public.code RENAME TO code__ferry_old;",
        "ALTER TYPE public.pair DROP ATTRIBUTE b;",
        "ALTER TYPE public.pair ALTER ATTRIBUTE a TYPE bigint;",
        "ALTER TYPE public.pair ADD ATTRIBUTE d date;",
        "ALTER SEQUENCE public.s AS bigint START WITH 100 INCREMENT BY 10",
        "ALTER SEQUENCE public.owned OWNED BY NONE;",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn comments_privileges_schemas_and_extensions() {
    let a = "CREATE SCHEMA old_one; CREATE TABLE t (id int);
        COMMENT ON TABLE t IS 'before'; COMMENT ON COLUMN t.id IS 'the id';
        GRANT SELECT, INSERT ON t TO ferry_diff_reader WITH GRANT OPTION;
        CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';";
    let b = "CREATE SCHEMA new_one; CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA new_one;
        CREATE TABLE t (id int);
        COMMENT ON TABLE t IS 'after';
        GRANT SELECT ON t TO ferry_diff_reader;
        CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';
        REVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;";
    let changes = both_ways(a, b);
    let text = sql_of(&changes);
    for expected in [
        "CREATE SCHEMA new_one;",
        "CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA new_one;",
        "DROP SCHEMA old_one;",
        "COMMENT ON TABLE public.t IS 'after';",
        "COMMENT ON COLUMN public.t.id IS NULL;",
        "REVOKE INSERT ON TABLE public.t FROM ferry_diff_reader;",
        "REVOKE GRANT OPTION FOR SELECT ON TABLE public.t FROM ferry_diff_reader;",
        "REVOKE EXECUTE ON FUNCTION public.f() FROM PUBLIC;",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(changes.iter().any(|c| c.action == Action::Revoke));
}

#[test]
fn tables_that_go_together_are_dropped_in_one_statement() {
    let a = "CREATE FUNCTION uid() RETURNS text LANGUAGE sql AS 'SELECT current_user::text';
        CREATE TABLE a (id int PRIMARY KEY, owner text DEFAULT uid());
        CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a (id));
        ALTER TABLE a ADD COLUMN b_id int REFERENCES b (id);
        CREATE VIEW ab AS SELECT a.id FROM a JOIN b ON b.a_id = a.id;
        ALTER TABLE a ENABLE ROW LEVEL SECURITY;
        CREATE POLICY mine ON a USING (owner = uid() AND EXISTS (SELECT 1 FROM ab));
        CREATE TABLE keep (id int);";
    let text = sql_of(&converge(a, "CREATE TABLE keep (id int);"));
    assert!(
        text.contains("-- DESTRUCTIVE: drops public.a, public.b and every row in them\nDROP TABLE public.a, public.b;"),
        "{text}"
    );
    assert!(text.contains("DROP FUNCTION public.uid();"), "{text}");
}

/// Shapes found by running the diff over schemas the team did not write (pagila, lemmy,
/// realworld and small cases cut down from them): each pair failed once.
#[test]
fn shapes_found_in_other_peoples_schemas() {
    // A detached partition drops what it took from its parent (keys, checks, foreign keys,
    // indexes); a table attached gets its parent's CHECK constraints first.
    both_ways(
        "CREATE TABLE r (id int PRIMARY KEY);
         CREATE TABLE p (id int PRIMARY KEY CHECK (id >= 0), r int REFERENCES r (id)) PARTITION BY RANGE (id);
         CREATE INDEX p_r ON p (r);
         CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);",
        "CREATE TABLE r (id int PRIMARY KEY);
         CREATE TABLE p (id int PRIMARY KEY CHECK (id >= 0), r int REFERENCES r (id)) PARTITION BY RANGE (id);
         CREATE INDEX p_r ON p (r);
         CREATE TABLE p1 (id int NOT NULL, r int);",
    );
    // A partition key column that changes type: the table is created again.
    both_ways(
        "CREATE TABLE pt (id int, d date) PARTITION BY RANGE (id);
         CREATE TABLE pt1 PARTITION OF pt FOR VALUES FROM (0) TO (100);",
        "CREATE TABLE pt (id bigint, d date) PARTITION BY RANGE (id);
         CREATE TABLE pt1 PARTITION OF pt FOR VALUES FROM (0) TO (100);",
    );
    // A generated column reading a column whose type changes.
    both_ways(
        "CREATE TABLE t (n int, g int GENERATED ALWAYS AS (n * 2) STORED);",
        "CREATE TABLE t (n bigint, g int GENERATED ALWAYS AS (n * 2) STORED);",
    );
    // serial ↔ identity: the sequence's name is freed before it is taken again.
    let text = sql_of(&both_ways(
        "CREATE TABLE t (id serial PRIMARY KEY);",
        "CREATE TABLE t (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);",
    ));
    assert!(
        text.contains("SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence('public.t', 'id'), coalesce(max(id), 0) + 1, false) FROM public.t;"),
        "{text}"
    );
    // A column moving from one enum to another goes through text.
    both_ways(
        "CREATE TYPE a AS ENUM ('x'); CREATE TYPE b AS ENUM ('x'); CREATE TABLE t (c a);",
        "CREATE TYPE a AS ENUM ('x'); CREATE TYPE b AS ENUM ('x'); CREATE TABLE t (c b);",
    );
    // A composite type a column uses, with an attribute retyped (or an enum inside it
    // rebuilt): renamed away, created again, the column converted through text.
    both_ways(
        "CREATE TYPE addr AS (zip int); CREATE TABLE t (a addr);",
        "CREATE TYPE addr AS (zip text); CREATE TABLE t (a addr);",
    );
    both_ways(
        "CREATE TYPE mood AS ENUM ('sad', 'ok'); CREATE TYPE pair AS (a mood, b int); CREATE TABLE t (p pair);",
        "CREATE TYPE mood AS ENUM ('ok'); CREATE TYPE pair AS (a mood, b int); CREATE TABLE t (p pair);",
    );
    // A sequence that changes direction starts again.
    let text = sql_of(&both_ways(
        "CREATE SEQUENCE s;",
        "CREATE SEQUENCE s INCREMENT BY -1;",
    ));
    assert!(text.contains("-- DESTRUCTIVE: restarts public.s"), "{text}");
}
