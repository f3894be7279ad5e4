select n.nspname, t.typname::text,
       pg_catalog.format_type(t.typbasetype, t.typtypmod),
       case when t.typcollation <> 0 and t.typcollation <> bt.typcollation
            then pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) end,
       pg_catalog.pg_get_expr(t.typdefaultbin, 0),
       t.typnotnull,
       array(select c.conname::text from pg_catalog.pg_constraint c
             where c.contypid = t.oid and c.contype = 'c' order by c.conname),
       array(select pg_catalog.pg_get_constraintdef(c.oid) from pg_catalog.pg_constraint c
             where c.contypid = t.oid and c.contype = 'c' order by c.conname)
from pg_catalog.pg_type t
join ns n on n.oid = t.typnamespace
join pg_catalog.pg_type bt on bt.oid = t.typbasetype
left join pg_catalog.pg_collation co on co.oid = t.typcollation
left join pg_catalog.pg_namespace cn on cn.oid = co.collnamespace
where t.typtype = 'd'
  and not exists (select 1 from ext_member d
                  where d.classid = 'pg_catalog.pg_type'::regclass and d.objid = t.oid)
order by 1, 2
