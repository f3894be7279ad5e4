-- One row per attribute, in position order.
select n.nspname, t.typname::text, a.attname::text,
       pg_catalog.format_type(a.atttypid, a.atttypmod),
       case when a.attcollation <> 0 and a.attcollation <> at.typcollation
            then pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) end
from pg_catalog.pg_type t
join ns n on n.oid = t.typnamespace
join pg_catalog.pg_class c on c.oid = t.typrelid and c.relkind = 'c'
join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
join pg_catalog.pg_type at on at.oid = a.atttypid
left join pg_catalog.pg_collation co on co.oid = a.attcollation
left join pg_catalog.pg_namespace cn on cn.oid = co.collnamespace
where t.typtype = 'c'
  and not exists (select 1 from ext_member d
                  where d.classid = 'pg_catalog.pg_type'::regclass and d.objid = t.oid)
order by 1, 2, a.attnum
