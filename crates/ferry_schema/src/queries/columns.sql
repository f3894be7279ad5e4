-- One row per column of every table, in position order (dropped columns left out).
select n.nspname, c.relname::text, a.attname::text,
       pg_catalog.format_type(a.atttypid, a.atttypmod),
       a.attnotnull,
       pg_catalog.pg_get_expr(ad.adbin, ad.adrelid),
       a.attidentity::text, a.attgenerated::text,
       case when a.attcollation <> 0 and a.attcollation <> t.typcollation
            then pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) end,
       s.nspname, s.relname, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle
from pg_catalog.pg_class c
join ns n on n.oid = c.relnamespace
join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
join pg_catalog.pg_type t on t.oid = a.atttypid
left join pg_catalog.pg_attrdef ad on ad.adrelid = c.oid and ad.adnum = a.attnum
left join pg_catalog.pg_collation co on co.oid = a.attcollation
left join pg_catalog.pg_namespace cn on cn.oid = co.collnamespace
left join lateral (
    select sn.nspname::text as nspname, sc.relname::text as relname,
           q.seqstart, q.seqincrement, q.seqmin, q.seqmax, q.seqcache, q.seqcycle
    from pg_catalog.pg_depend d
    join pg_catalog.pg_class sc on sc.oid = d.objid
    join pg_catalog.pg_namespace sn on sn.oid = sc.relnamespace
    join pg_catalog.pg_sequence q on q.seqrelid = sc.oid
    where d.classid = 'pg_catalog.pg_class'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass
      and d.refobjid = c.oid and d.refobjsubid = a.attnum and d.deptype = 'i'
    limit 1
) s on a.attidentity <> ''
where c.relkind in ('r', 'p')
  and not exists (select 1 from pg_catalog.pg_depend d
                  where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
order by 1, 2, a.attnum
