select n.nspname, t.typname::text,
       array(select e.enumlabel::text from pg_catalog.pg_enum e
             where e.enumtypid = t.oid order by e.enumsortorder)
from pg_catalog.pg_type t
join ns n on n.oid = t.typnamespace
where t.typtype = 'e'
  and not exists (select 1 from ext_member d
                  where d.classid = 'pg_catalog.pg_type'::regclass and d.objid = t.oid)
order by 1, 2
