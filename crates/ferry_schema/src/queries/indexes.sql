-- Indexes that do not back a constraint and are not a partition of a partitioned index.
-- A valid index on a partitioned table has its partitions' indexes attached: it is written
-- without ONLY (which pg_get_indexdef always prints there), so that replaying creates them.
select n.nspname, c.relname::text, ic.relname::text,
       case when c.relkind = 'p' and i.indisvalid
            then pg_catalog.regexp_replace(pg_catalog.pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON ')
            else pg_catalog.pg_get_indexdef(i.indexrelid) end
from pg_catalog.pg_index i
join pg_catalog.pg_class ic on ic.oid = i.indexrelid
join pg_catalog.pg_class c on c.oid = i.indrelid
join ns n on n.oid = c.relnamespace
where c.relkind in ('r', 'p', 'm')
  and not ic.relispartition
  and not exists (select 1 from pg_catalog.pg_constraint con
                  where con.conindid = i.indexrelid and con.conrelid = i.indrelid
                    and con.contype in ('p', 'u', 'x'))
  and not exists (select 1 from ext_member d
                  where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid)
order by 1, 2, 3
