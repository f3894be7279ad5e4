-- Privileges against each object's default (acldefault for its owner): granted ones beyond
-- the default, and revoked ones the default would give. A NULL ACL is the default itself.
-- https://www.postgresql.org/docs/current/ddl-priv.html
, acls as (
    select case c.relkind when 'S' then 'SEQUENCE ' else 'TABLE ' end
           || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) as object,
           c.relacl as acl,
           pg_catalog.acldefault(case c.relkind when 'S' then 's' else 'r' end::"char", c.relowner) as def
    from pg_catalog.pg_class c
    join ns n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p', 'v', 'm', 'S') and c.relacl is not null
      and not exists (select 1 from ext_member d
                      where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid)
    union all
    select case p.prokind when 'p' then 'PROCEDURE ' else 'FUNCTION ' end
           || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname)
           || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
           p.proacl, pg_catalog.acldefault('f', p.proowner)
    from pg_catalog.pg_proc p
    join ns n on n.oid = p.pronamespace
    where p.prokind in ('f', 'p') and p.proacl is not null
      and not exists (select 1 from ext_member d
                      where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid)
    union all
    select 'SCHEMA ' || pg_catalog.quote_ident(n.nspname), s.nspacl, pg_catalog.acldefault('n', s.nspowner)
    from ns n
    join pg_catalog.pg_namespace s on s.oid = n.oid
    where s.nspacl is not null
    union all
    select case t.typtype when 'd' then 'DOMAIN ' else 'TYPE ' end
           || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.typname),
           t.typacl, pg_catalog.acldefault('T', t.typowner)
    from pg_catalog.pg_type t
    join ns n on n.oid = t.typnamespace
    where t.typacl is not null and t.typtype in ('e', 'd', 'c')
      and (t.typtype <> 'c' or exists (select 1 from pg_catalog.pg_class c where c.oid = t.typrelid and c.relkind = 'c'))
      and not exists (select 1 from ext_member d
                      where d.classid = 'pg_catalog.pg_type'::regclass and d.objid = t.oid)
), diffs as (
    select a.object, x.grantee, x.privilege_type, x.is_grantable, false as revoked
    from acls a,
         lateral (select e.grantee, e.privilege_type, e.is_grantable from pg_catalog.aclexplode(a.acl) e
                  except
                  select e.grantee, e.privilege_type, e.is_grantable from pg_catalog.aclexplode(a.def) e) x
    union all
    select a.object, x.grantee, x.privilege_type, x.is_grantable, true
    from acls a,
         lateral (select e.grantee, e.privilege_type, e.is_grantable from pg_catalog.aclexplode(a.def) e
                  except
                  select e.grantee, e.privilege_type, e.is_grantable from pg_catalog.aclexplode(a.acl) e) x
)
select object, grantee_name, privilege_type, is_grantable, revoked
from (select d.*, case when d.grantee = 0 then 'PUBLIC'
                       else pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(d.grantee)) end as grantee_name
      from diffs d) x
order by object collate "C", grantee_name collate "C", privilege_type collate "C", is_grantable
