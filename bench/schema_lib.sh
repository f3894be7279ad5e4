# The generated schemas of bench/schema.sh: TABLES tables, and the same plus 100 differences.
# Sourced after bench/lib.sh (uses sql, PSQL, SOCK_DIR, BENCH_PORT, die).
# shellcheck shell=bash

# write_schema_sql FILE TABLES: the base schema, written by PostgreSQL itself (generate_series).
#
# Table t_i has 10 columns: `id bigint primary key`, 8 data columns of assorted types (name
# text not null, qty integer default 0, created_at timestamptz not null default now(),
# price numeric(10,2), active boolean default true, doc jsonb, code varchar(50), due date),
# and `ref_id bigint`, the foreign key column. Two plain indexes: t_i_ref_idx on (ref_id) and
# t_i_code_idx on (code, due). The foreign key t_i_ref_id_fkey references t_(i mod TABLES)+1,
# so the references form one cycle; the keys are added after every table exists, as pg_dump
# would write them.
write_schema_sql() {
    local file=$1 n=$2
    sql postgres "
        select format('create table public.t_%s (id bigint primary key, name text not null,'
                      ' qty integer default 0, created_at timestamptz not null default now(),'
                      ' price numeric(10,2), active boolean default true, doc jsonb,'
                      ' code varchar(50), due date, ref_id bigint);'
                      || E'\ncreate index t_%s_ref_idx on public.t_%s (ref_id);'
                      || E'\ncreate index t_%s_code_idx on public.t_%s (code, due);', i, i, i, i, i)
        from generate_series(1, $n) i
        union all
        select format('alter table public.t_%s add constraint t_%s_ref_id_fkey'
                      ' foreign key (ref_id) references public.t_%s (id);', i, i, i % $n + 1)
        from generate_series(1, $n) i" >"$file" || die "generating the schema"
}

# write_changes_sql FILE: 100 differences of 10 kinds, 10 of each, on t_1..t_90 and 10 new
# tables (needs TABLES >= 100). Every difference is a separate object, so the expected diff is
# exactly these 100 changes.
write_changes_sql() {
    local file=$1
    sql postgres "
        select format(case k
            when 0 then 'alter table public.t_%s add column note text;'
            when 1 then 'alter table public.t_%s drop column active;'
            when 2 then 'alter table public.t_%s alter column qty type bigint;'
            when 3 then 'create index t_%s_name_idx on public.t_%s (name);'
            when 4 then 'drop index public.t_%s_code_idx;'
            when 5 then 'alter table public.t_%s alter column qty set default 42;'
            when 6 then 'alter table public.t_%s alter column code set not null;'
            when 7 then 'create table public.n_%s (id bigint primary key, t_id bigint not null'
                        ' references public.t_%s (id), label varchar(50) not null default ''x'');'
            when 8 then 'alter table public.t_%s drop constraint t_%s_ref_id_fkey;'
            else 'alter table public.t_%s add constraint t_%s_price_check check (price >= 0);'
            end, i, i)
        from generate_series(1, 100) i, lateral (select (i - 1) / 10 as k) x
        order by i" >"$file" || die "generating the changes"
}

# check_schema DB TABLES [changed]: the database holds the generated schema (counts of tables,
# columns, indexes, foreign keys and checks), else fail loudly.
check_schema() {
    local db=$1 n=$2 want got
    if [[ $# -ge 3 ]]; then
        # + 10 new tables; columns: +10 note, -10 active, + 3 for each new table; indexes:
        # +10 t_i_name_idx, -10 t_i_code_idx (the new tables' primary keys are constraints);
        # foreign keys: +10 from the new tables, -10 dropped; +10 checks.
        want="$((n + 10))|$((n * 10 + 30))|$((n * 2))|$n|10"
    else
        want="$n|$((n * 10))|$((n * 2))|$n|0"
    fi
    got=$(sql "$db" "
        select (select count(*) from pg_class c join pg_namespace s on s.oid = c.relnamespace
                where s.nspname = 'public' and c.relkind = 'r'),
               (select count(*) from pg_attribute a join pg_class c on c.oid = a.attrelid
                join pg_namespace s on s.oid = c.relnamespace
                where s.nspname = 'public' and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped),
               (select count(*) from pg_index i join pg_class c on c.oid = i.indexrelid
                join pg_namespace s on s.oid = c.relnamespace
                where s.nspname = 'public' and not i.indisprimary),
               (select count(*) from pg_constraint where contype = 'f' and connamespace = 'public'::regnamespace),
               (select count(*) from pg_constraint where contype = 'c' and connamespace = 'public'::regnamespace)")
    [[ $got == "$want" ]] ||
        die "database $db: expected (tables|columns|indexes|foreign keys|checks) $want, found $got"
}
