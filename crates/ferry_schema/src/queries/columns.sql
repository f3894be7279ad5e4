-- One row per column of every table (dropped columns left out), its position (attnum) last.
-- Not sorted here: catalog.rs puts each table's columns in position order. With 2,000 tables
-- of 10 columns, the server's sort of the 20,000 rows took ~45 ms of the query's ~200 ms.
select n.nspname, c.relname::text, a.attname::text,
       pg_catalog.format_type(a.atttypid, a.atttypmod),
       a.attnotnull,
       pg_catalog.pg_get_expr(ad.adbin, ad.adrelid),
       a.attidentity::text, a.attgenerated::text,
       case when a.attcollation <> 0 and a.attcollation <> t.typcollation
            then pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) end,
       s.nspname, s.relname, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
       a.attnum
from pg_catalog.pg_class c
join ns n on n.oid = c.relnamespace
join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
join pg_catalog.pg_type t on t.oid = a.atttypid
left join pg_catalog.pg_attrdef ad on ad.adrelid = c.oid and ad.adnum = a.attnum
left join pg_catalog.pg_collation co on co.oid = a.attcollation
left join pg_catalog.pg_namespace cn on cn.oid = co.collnamespace
-- An identity column's sequence. The attidentity test inside the subquery is a one-time
-- filter: the other columns skip the lookup instead of running it and discarding the result.
left join lateral (
    select sn.nspname::text as nspname, sc.relname::text as relname,
           q.seqstart, q.seqincrement, q.seqmin, q.seqmax, q.seqcache, q.seqcycle
    from pg_catalog.pg_depend d
    join pg_catalog.pg_class sc on sc.oid = d.objid
    join pg_catalog.pg_namespace sn on sn.oid = sc.relnamespace
    join pg_catalog.pg_sequence q on q.seqrelid = sc.oid
    where a.attidentity <> ''
      and d.classid = 'pg_catalog.pg_class'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass
      and d.refobjid = c.oid and d.refobjsubid = a.attnum and d.deptype = 'i'
    limit 1
) s on true
where c.relkind in ('r', 'p')
  and not exists (select 1 from ext_member d
                  where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid)
