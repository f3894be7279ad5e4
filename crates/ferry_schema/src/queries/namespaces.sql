-- The schemas the model covers: not the system schemas, not temporary or toast schemas, not
-- the tracking schema ($1), not a schema an extension created. Every other query starts
-- with this CTE.
with ns as (
    select n.oid, n.nspname::text as nspname
    from pg_catalog.pg_namespace n
    where n.nspname not in ('pg_catalog', 'information_schema')
      and n.nspname <> $1
      and n.nspname not like 'pg\_toast%'
      and n.nspname not like 'pg\_temp\_%'
      and not exists (
          select 1 from pg_catalog.pg_depend d
          where d.classid = 'pg_catalog.pg_namespace'::regclass and d.objid = n.oid and d.deptype = 'e')
)
