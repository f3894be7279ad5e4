select n.nspname, c.relname::text, p.polname::text, p.polpermissive, p.polcmd::text,
       array(select case when r = 0 then 'PUBLIC' else pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r)) end
             from unnest(p.polroles) r order by 1),
       pg_catalog.pg_get_expr(p.polqual, p.polrelid),
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)
from pg_catalog.pg_policy p
join pg_catalog.pg_class c on c.oid = p.polrelid
join ns n on n.oid = c.relnamespace
order by 1, 2, 3
