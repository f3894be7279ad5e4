-- Functions and procedures; `uses_relations` says whether the signature or a BEGIN ATOMIC
-- body refers to a table or view (or its row type, or an array of it).
select n.nspname, p.proname::text, pg_catalog.pg_get_function_identity_arguments(p.oid),
       p.prokind = 'p', pg_catalog.pg_get_functiondef(p.oid),
       exists (
           select 1 from pg_catalog.pg_depend d
           where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid
             and (d.refclassid = 'pg_catalog.pg_class'::regclass
                  or (d.refclassid = 'pg_catalog.pg_type'::regclass and exists (
                      select 1 from pg_catalog.pg_type t
                      left join pg_catalog.pg_type e on e.oid = t.typelem
                      join pg_catalog.pg_class rc on rc.oid in (t.typrelid, e.typrelid)
                      where t.oid = d.refobjid and rc.relkind in ('r', 'p', 'v', 'm')))))
from pg_catalog.pg_proc p
join ns n on n.oid = p.pronamespace
where p.prokind in ('f', 'p')
  and not exists (select 1 from ext_member d
                  where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid)
order by 1, 2, 3
