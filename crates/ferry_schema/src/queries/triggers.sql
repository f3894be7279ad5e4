-- User triggers (not the internal ones behind foreign keys, not partition clones).
select n.nspname, c.relname::text, t.tgname::text, pg_catalog.pg_get_triggerdef(t.oid), t.tgenabled::text
from pg_catalog.pg_trigger t
join pg_catalog.pg_class c on c.oid = t.tgrelid
join ns n on n.oid = c.relnamespace
where not t.tgisinternal
  and t.tgparentid = 0
  and c.relkind in ('r', 'p')
  and not exists (select 1 from pg_catalog.pg_depend d
                  where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
order by 1, 2, 3
