select n.nspname, c.relname::text, c.relkind = 'm',
       coalesce(c.reloptions, '{}')::text[],
       pg_catalog.pg_get_viewdef(c.oid),
       array(select distinct pg_catalog.quote_ident(dn.nspname) || '.' || pg_catalog.quote_ident(dc.relname)
             from pg_catalog.pg_rewrite r
             join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::regclass and d.objid = r.oid
                                         and d.refclassid = 'pg_catalog.pg_class'::regclass
             join pg_catalog.pg_class dc on dc.oid = d.refobjid
             join pg_catalog.pg_namespace dn on dn.oid = dc.relnamespace
             where r.ev_class = c.oid and dc.oid <> c.oid and dc.relkind in ('v', 'm')
             order by 1)
from pg_catalog.pg_class c
join ns n on n.oid = c.relnamespace
where c.relkind in ('v', 'm')
  and not exists (select 1 from ext_member d
                  where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid)
order by 1, 2
