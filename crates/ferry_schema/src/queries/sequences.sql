-- Sequences other than identity columns' own (those are part of the column).
select n.nspname, c.relname::text, pg_catalog.format_type(s.seqtypid, null),
       s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
       o.nspname, o.relname, o.attname
from pg_catalog.pg_class c
join ns n on n.oid = c.relnamespace
join pg_catalog.pg_sequence s on s.seqrelid = c.oid
left join lateral (
    select tn.nspname::text as nspname, tc.relname::text as relname, a.attname::text as attname
    from pg_catalog.pg_depend d
    join pg_catalog.pg_class tc on tc.oid = d.refobjid
    join pg_catalog.pg_namespace tn on tn.oid = tc.relnamespace
    join pg_catalog.pg_attribute a on a.attrelid = tc.oid and a.attnum = d.refobjsubid
    where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid
      and d.refclassid = 'pg_catalog.pg_class'::regclass and d.deptype = 'a' and d.refobjsubid > 0
    limit 1
) o on true
where c.relkind = 'S'
  and not exists (select 1 from pg_catalog.pg_depend d
                  where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid and d.deptype in ('e', 'i'))
order by 1, 2
