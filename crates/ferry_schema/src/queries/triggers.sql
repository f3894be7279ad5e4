-- User triggers: not the internal ones behind foreign keys, and not the clones a partition
-- gets of its parent's row triggers. A clone depends on its parent trigger with deptype 'P'
-- on every major (PostgreSQL 13 also added pg_trigger.tgparentid, and before 13 clones are
-- internal), so the query works from 12 on.
select n.nspname, c.relname::text, t.tgname::text, pg_catalog.pg_get_triggerdef(t.oid), t.tgenabled::text
from pg_catalog.pg_trigger t
join pg_catalog.pg_class c on c.oid = t.tgrelid
join ns n on n.oid = c.relnamespace
where not t.tgisinternal
  and not exists (select 1 from pg_catalog.pg_depend p
                  where p.classid = 'pg_catalog.pg_trigger'::regclass and p.objid = t.oid
                    and p.refclassid = 'pg_catalog.pg_trigger'::regclass and p.deptype = 'P')
  and c.relkind in ('r', 'p')
  and not exists (select 1 from ext_member d
                  where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid)
order by 1, 2, 3
