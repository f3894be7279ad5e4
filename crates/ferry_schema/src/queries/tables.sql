select n.nspname, c.relname::text, c.relpersistence = 'u',
       coalesce(c.reloptions, '{}')::text[],
       case when c.relkind = 'p' then pg_catalog.pg_get_partkeydef(c.oid) end,
       pn.nspname::text, pc.relname::text,
       case when c.relispartition then pg_catalog.pg_get_expr(c.relpartbound, c.oid) end,
       c.relrowsecurity, c.relforcerowsecurity
from pg_catalog.pg_class c
join ns n on n.oid = c.relnamespace
left join pg_catalog.pg_inherits i on c.relispartition and i.inhrelid = c.oid
left join pg_catalog.pg_class pc on pc.oid = i.inhparent
left join pg_catalog.pg_namespace pn on pn.oid = pc.relnamespace
where c.relkind in ('r', 'p')
  and not exists (select 1 from ext_member d
                  where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid)
order by 1, 2
