select e.extname::text, n.nspname::text
from pg_catalog.pg_extension e
join pg_catalog.pg_namespace n on n.oid = e.extnamespace
where $1::text is not null
order by 1
