-- Comments on the objects the model covers, each named as COMMENT ON names it. Extensions'
-- comments are left out: the extension's control file sets them.
, rel as (
    select c.oid, c.relkind, c.relname,
           pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) as qname
    from pg_catalog.pg_class c
    join ns n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p', 'v', 'm', 'S', 'i', 'I', 'c')
      and not exists (select 1 from ext_member d
                      where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid)
), typ as (
    select t.oid, t.typtype,
           pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.typname) as qname
    from pg_catalog.pg_type t
    join ns n on n.oid = t.typnamespace
    where t.typtype in ('e', 'd')
      and not exists (select 1 from ext_member d
                      where d.classid = 'pg_catalog.pg_type'::regclass and d.objid = t.oid)
), objects as (
    select 'SCHEMA ' || pg_catalog.quote_ident(n.nspname) as object, d.description
    from ns n
    join pg_catalog.pg_description d on d.classoid = 'pg_catalog.pg_namespace'::regclass and d.objoid = n.oid
    union all
    select case r.relkind when 'r' then 'TABLE ' when 'p' then 'TABLE ' when 'v' then 'VIEW '
                          when 'm' then 'MATERIALIZED VIEW ' when 'S' then 'SEQUENCE '
                          when 'c' then 'TYPE ' else 'INDEX ' end || r.qname,
           d.description
    from rel r
    join pg_catalog.pg_description d on d.classoid = 'pg_catalog.pg_class'::regclass and d.objoid = r.oid and d.objsubid = 0
    union all
    select 'COLUMN ' || r.qname || '.' || pg_catalog.quote_ident(a.attname), d.description
    from rel r
    join pg_catalog.pg_attribute a on a.attrelid = r.oid and a.attnum > 0 and not a.attisdropped
    join pg_catalog.pg_description d on d.classoid = 'pg_catalog.pg_class'::regclass and d.objoid = r.oid and d.objsubid = a.attnum
    union all
    select case t.typtype when 'd' then 'DOMAIN ' else 'TYPE ' end || t.qname, d.description
    from typ t
    join pg_catalog.pg_description d on d.classoid = 'pg_catalog.pg_type'::regclass and d.objoid = t.oid
    union all
    select case p.prokind when 'p' then 'PROCEDURE ' else 'FUNCTION ' end
           || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname)
           || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
           d.description
    from pg_catalog.pg_proc p
    join ns n on n.oid = p.pronamespace
    join pg_catalog.pg_description d on d.classoid = 'pg_catalog.pg_proc'::regclass and d.objoid = p.oid
    where p.prokind in ('f', 'p')
      and not exists (select 1 from ext_member x
                      where x.classid = 'pg_catalog.pg_proc'::regclass and x.objid = p.oid)
    union all
    select 'CONSTRAINT ' || pg_catalog.quote_ident(con.conname) || ' ON ' || r.qname, d.description
    from pg_catalog.pg_constraint con
    join rel r on r.oid = con.conrelid
    join pg_catalog.pg_description d on d.classoid = 'pg_catalog.pg_constraint'::regclass and d.objoid = con.oid
    union all
    select 'CONSTRAINT ' || pg_catalog.quote_ident(con.conname) || ' ON DOMAIN ' || t.qname, d.description
    from pg_catalog.pg_constraint con
    join typ t on t.oid = con.contypid
    join pg_catalog.pg_description d on d.classoid = 'pg_catalog.pg_constraint'::regclass and d.objoid = con.oid
    union all
    select 'TRIGGER ' || pg_catalog.quote_ident(tg.tgname) || ' ON ' || r.qname, d.description
    from pg_catalog.pg_trigger tg
    join rel r on r.oid = tg.tgrelid
    join pg_catalog.pg_description d on d.classoid = 'pg_catalog.pg_trigger'::regclass and d.objoid = tg.oid
    union all
    select 'POLICY ' || pg_catalog.quote_ident(po.polname) || ' ON ' || r.qname, d.description
    from pg_catalog.pg_policy po
    join rel r on r.oid = po.polrelid
    join pg_catalog.pg_description d on d.classoid = 'pg_catalog.pg_policy'::regclass and d.objoid = po.oid
)
select object, description from objects order by object collate "C", description collate "C"
