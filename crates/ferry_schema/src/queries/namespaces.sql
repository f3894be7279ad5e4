-- Every other query starts with these two CTEs.
--
-- ext_member: the objects an extension owns. A member depends on its extension with deptype
-- 'e', and that reference is always the extension itself: with `refclassid` the planner can
-- read the few members from pg_depend_reference_index, where `classid = … and objid = … and
-- deptype = 'e'` alone made it scan all of pg_depend (tens of thousands of rows in a large
-- schema) in each query checking many objects. Not materialized, so that a check of a few
-- objects can still probe pg_depend_depender_index.
-- https://www.postgresql.org/docs/current/catalog-pg-depend.html
--
-- ns: the schemas the model covers: not the system schemas, not temporary or toast schemas,
-- not the tracking schema ($1), not a schema an extension created.
with ext_member as not materialized (
    select d.classid, d.objid
    from pg_catalog.pg_depend d
    where d.refclassid = 'pg_catalog.pg_extension'::regclass and d.deptype = 'e'
), ns as (
    select n.oid, n.nspname::text as nspname
    from pg_catalog.pg_namespace n
    where n.nspname not in ('pg_catalog', 'information_schema')
      and n.nspname <> $1
      and n.nspname not like 'pg\_toast%'
      and n.nspname not like 'pg\_temp\_%'
      and not exists (
          select 1 from ext_member d
          where d.classid = 'pg_catalog.pg_namespace'::regclass and d.objid = n.oid)
)
