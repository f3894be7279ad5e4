-- Table constraints declared on the table itself: not those a partition inherits from its
-- parent (conparentid, conislocal), not NOT NULL. PostgreSQL 18 lists NOT NULL here too
-- (contype 'n', named `<table>_<column>_not_null` unless given a name); the model keeps it
-- as the column's `not_null`, as on every other major, and not its name (see catalog.rs).
select n.nspname, c.relname::text, con.conname::text, con.contype::text,
       pg_catalog.pg_get_constraintdef(con.oid)
from pg_catalog.pg_constraint con
join pg_catalog.pg_class c on c.oid = con.conrelid
join ns n on n.oid = c.relnamespace
where con.contype in ('p', 'u', 'f', 'c', 'x')
  and con.conparentid = 0
  and con.conislocal
  and c.relkind in ('r', 'p')
  and not exists (select 1 from ext_member d
                  where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid)
order by 1, 2, 3
