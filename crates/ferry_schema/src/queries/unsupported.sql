-- Objects the model does not cover yet: (kind, name). Any row stops the read.
, found(kind, name) as (
    select 'range type', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.typname)
    from pg_catalog.pg_type t join ns n on n.oid = t.typnamespace
    where t.typtype = 'r'
      and not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_type'::regclass and d.objid = t.oid)
    union all
    select 'base type', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.typname)
    from pg_catalog.pg_type t join ns n on n.oid = t.typnamespace
    where t.typtype = 'b'
      and not exists (select 1 from pg_catalog.pg_type e where e.typarray = t.oid)
      and not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_type'::regclass and d.objid = t.oid)
    union all
    select 'rule', pg_catalog.quote_ident(r.rulename) || ' on ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
    from pg_catalog.pg_rewrite r join pg_catalog.pg_class c on c.oid = r.ev_class join ns n on n.oid = c.relnamespace
    where r.rulename <> '_RETURN'
      and not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid)
    union all
    select case c.relkind when 'f' then 'foreign table' end,
           pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
    from pg_catalog.pg_class c join ns n on n.oid = c.relnamespace
    where c.relkind = 'f'
      and not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid)
    union all
    select 'table inheritance', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
    from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid join ns n on n.oid = c.relnamespace
    where not c.relispartition and c.relkind in ('r', 'p')
    union all
    select 'typed table', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
    from pg_catalog.pg_class c join ns n on n.oid = c.relnamespace
    where c.reloftype <> 0 and c.relkind in ('r', 'p')
    union all
    select 'column privilege', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) || '.' || pg_catalog.quote_ident(a.attname)
    from pg_catalog.pg_attribute a join pg_catalog.pg_class c on c.oid = a.attrelid join ns n on n.oid = c.relnamespace
    where a.attacl is not null and a.attnum > 0 and not a.attisdropped
    union all
    select 'trigger on a view', pg_catalog.quote_ident(t.tgname) || ' on ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
    from pg_catalog.pg_trigger t join pg_catalog.pg_class c on c.oid = t.tgrelid join ns n on n.oid = c.relnamespace
    where c.relkind = 'v' and not t.tgisinternal
    union all
    select case p.prokind when 'a' then 'aggregate' else 'window function' end,
           pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname) || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'
    from pg_catalog.pg_proc p join ns n on n.oid = p.pronamespace
    where p.prokind in ('a', 'w')
      and not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid)
    union all
    select 'statistics object', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(s.stxname)
    from pg_catalog.pg_statistic_ext s join ns n on n.oid = s.stxnamespace
    union all
    select 'operator', pg_catalog.quote_ident(n.nspname) || '.' || o.oprname
    from pg_catalog.pg_operator o join ns n on n.oid = o.oprnamespace
    where not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_operator'::regclass and d.objid = o.oid)
    union all
    select 'operator class', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(o.opcname)
    from pg_catalog.pg_opclass o join ns n on n.oid = o.opcnamespace
    where not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_opclass'::regclass and d.objid = o.oid)
    union all
    select 'operator family', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(o.opfname)
    from pg_catalog.pg_opfamily o join ns n on n.oid = o.opfnamespace
    where not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_opfamily'::regclass and d.objid = o.oid)
    union all
    select 'collation', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(o.collname)
    from pg_catalog.pg_collation o join ns n on n.oid = o.collnamespace
    where not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_collation'::regclass and d.objid = o.oid)
    union all
    select 'conversion', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(o.conname)
    from pg_catalog.pg_conversion o join ns n on n.oid = o.connamespace
    where not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_conversion'::regclass and d.objid = o.oid)
    union all
    select 'text search configuration', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(o.cfgname)
    from pg_catalog.pg_ts_config o join ns n on n.oid = o.cfgnamespace
    where not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_ts_config'::regclass and d.objid = o.oid)
    union all
    select 'text search dictionary', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(o.dictname)
    from pg_catalog.pg_ts_dict o join ns n on n.oid = o.dictnamespace
    where not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_ts_dict'::regclass and d.objid = o.oid)
    union all
    select 'cast', pg_catalog.format_type(c.castsource, null) || ' as ' || pg_catalog.format_type(c.casttarget, null)
    from pg_catalog.pg_cast c
    where c.oid >= 16384
      -- a range type's own casts to its multirange come with it
      and not exists (select 1 from pg_catalog.pg_type t where t.oid = c.casttarget and t.typtype = 'm')
      and not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_cast'::regclass and d.objid = c.oid)
    union all
    select 'event trigger', pg_catalog.quote_ident(e.evtname)
    from pg_catalog.pg_event_trigger e
    where not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_event_trigger'::regclass and d.objid = e.oid)
    union all
    select 'publication', pg_catalog.quote_ident(p.pubname) from pg_catalog.pg_publication p
    union all
    select 'foreign data wrapper', pg_catalog.quote_ident(w.fdwname)
    from pg_catalog.pg_foreign_data_wrapper w
    where not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_foreign_data_wrapper'::regclass and d.objid = w.oid)
    union all
    select 'foreign server', pg_catalog.quote_ident(s.srvname)
    from pg_catalog.pg_foreign_server s
    where not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_foreign_server'::regclass and d.objid = s.oid)
    union all
    select 'procedural language', pg_catalog.quote_ident(l.lanname)
    from pg_catalog.pg_language l
    where l.oid >= 16384
      and not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_language'::regclass and d.objid = l.oid)
    union all
    select 'access method', pg_catalog.quote_ident(a.amname)
    from pg_catalog.pg_am a
    where a.oid >= 16384
      and not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_am'::regclass and d.objid = a.oid)
    union all
    -- PostgreSQL 18 keeps NOT NULL as named constraints. The model holds it as the column's
    -- `not_null` (names are not kept: they do not exist before 18), which cannot say NOT VALID
    -- or NO INHERIT.
    select case when not con.convalidated then 'NOT VALID not-null constraint'
                else 'NO INHERIT not-null constraint' end,
           pg_catalog.quote_ident(con.conname) || ' on ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
    from pg_catalog.pg_constraint con join pg_catalog.pg_class c on c.oid = con.conrelid join ns n on n.oid = c.relnamespace
    where con.contype = 'n' and (not con.convalidated or con.connoinherit)
      and not exists (select 1 from ext_member d where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid)
    union all
    select 'default privileges', coalesce(pg_catalog.quote_ident(n.nspname) || ' ', '') || 'for ' || pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.defaclrole))
    from pg_catalog.pg_default_acl a left join pg_catalog.pg_namespace n on n.oid = a.defaclnamespace
)
select kind, name from found order by kind collate "C", name collate "C"
