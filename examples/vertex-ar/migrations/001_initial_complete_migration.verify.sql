-- The seed's post-migration checks, as failing checks: tables, foreign keys, indexes (named
-- ones and one on every foreign key), enum types, views, updated_at triggers, default data.

do $$
declare
    missing text;
begin
    select string_agg(t, ', ') into missing
    from unnest(array['users', 'companies', 'projects', 'folders', 'clients', 'orders', 'portraits',
                      'videos', 'storage_connections', 'storage_folders', 'email_queue', 'notifications',
                      'audit_log', 'ar_content', 'video_rotation_schedules', 'ar_view_sessions']) as t
    where to_regclass('public.' || t) is null;
    if missing is not null then
        raise exception 'tables missing: %', missing;
    end if;
    raise notice '✅ all 16 tables exist';
end
$$;

-- Verify foreign key constraints: each expected (table.column → table.column).
do $$
declare
    missing text;
    total int;
begin
    select string_agg(format('%s.%s → %s', e.tab, e.col, e.ref), ', ') into missing
    from (values ('companies', 'storage_connection_id', 'storage_connections'),
                 ('projects', 'company_id', 'companies'),
                 ('folders', 'project_id', 'projects'),
                 ('folders', 'parent_id', 'folders'),
                 ('clients', 'company_id', 'companies'),
                 ('orders', 'company_id', 'companies'),
                 ('orders', 'client_id', 'clients'),
                 ('portraits', 'company_id', 'companies'),
                 ('portraits', 'client_id', 'clients'),
                 ('portraits', 'folder_id', 'folders'),
                 ('videos', 'portrait_id', 'portraits'),
                 ('storage_folders', 'company_id', 'companies'),
                 ('notifications', 'company_id', 'companies'),
                 ('audit_log', 'actor_id', 'users'),
                 ('ar_content', 'project_id', 'projects'),
                 ('ar_content', 'company_id', 'companies'),
                 ('video_rotation_schedules', 'ar_content_id', 'ar_content'),
                 ('ar_view_sessions', 'ar_content_id', 'ar_content'),
                 ('ar_view_sessions', 'project_id', 'projects'),
                 ('ar_view_sessions', 'company_id', 'companies')) as e (tab, col, ref)
    where not exists (
        select
        from information_schema.table_constraints as tc
        join information_schema.key_column_usage as kcu
            on tc.constraint_name = kcu.constraint_name and tc.table_schema = kcu.table_schema
        join information_schema.constraint_column_usage as ccu
            on ccu.constraint_name = tc.constraint_name and ccu.table_schema = tc.table_schema
        where tc.constraint_type = 'FOREIGN KEY' and tc.table_schema = 'public'
          and tc.table_name = e.tab and kcu.column_name = e.col
          and ccu.table_name = e.ref and ccu.column_name = 'id');
    if missing is not null then
        raise exception 'foreign keys missing: %', missing;
    end if;
    select count(*) into total from information_schema.table_constraints
    where constraint_type = 'FOREIGN KEY' and table_schema = 'public';
    raise notice '✅ all % foreign keys exist (folders.parent_id → folders is self-referencing)', total;
end
$$;

-- "All foreign keys have corresponding indexes": some index starts with the FK's column.
do $$
declare
    unindexed text;
begin
    select string_agg(format('%s.%s', c.conrelid::regclass, a.attname), ', ') into unindexed
    from pg_constraint c
    join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
    where c.contype = 'f' and c.connamespace = 'public'::regnamespace
      and not exists (select from pg_index i
                      where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1]);
    if unindexed is not null then
        raise exception 'foreign keys without an index: %', unindexed;
    end if;
    raise notice '✅ every foreign key has an index';
end
$$;

do $$
declare
    missing text;
begin
    select string_agg(e.idx, ', ') into missing
    from (values ('ix_users_email', true), ('ix_users_role', false), ('ix_users_is_active', false),
                 ('ix_users_created_at', false),
                 ('ix_companies_name', true), ('ix_companies_slug', true),
                 ('ix_companies_storage_type', false), ('ix_companies_is_active', false),
                 ('ux_projects_company_slug', true), ('ix_projects_company_id', false),
                 ('ix_projects_status', false), ('ix_projects_subscription_end', false),
                 ('ix_orders_order_number', true)) as e (idx, uniq)
    where not exists (select from pg_index i join pg_class c on c.oid = i.indexrelid
                      where c.relname = e.idx and c.relnamespace = 'public'::regnamespace
                        and i.indisunique = e.uniq);
    if missing is not null then
        raise exception 'indexes missing (or of the wrong uniqueness): %', missing;
    end if;
    raise notice '✅ the named indexes exist (unique on email, slugs and order numbers)';
end
$$;

do $$
begin
    if to_regtype('public.user_role') is null
       or enum_range(null::user_role)::text <> '{admin,manager,viewer}' then
        raise exception 'enum user_role must be (admin, manager, viewer)';
    end if;
    if to_regtype('public.notification_type') is null
       or enum_range(null::notification_type)::text <> '{email,telegram,system,sms}' then
        raise exception 'enum notification_type must be (email, telegram, system, sms)';
    end if;
    raise notice '✅ enum types user_role and notification_type exist';
end
$$;

do $$
begin
    if to_regclass('public.active_projects') is null then
        raise exception 'view active_projects is missing';
    end if;
    if to_regclass('public.expiring_subscriptions') is null then
        raise exception 'view expiring_subscriptions is missing';
    end if;
    perform count(*) from active_projects;
    perform count(*) from expiring_subscriptions;
    raise notice '✅ views active_projects and expiring_subscriptions exist and run';
end
$$;

do $$
declare
    missing text;
begin
    select string_agg(c.table_name, ', ') into missing
    from information_schema.columns c
    where c.table_schema = 'public' and c.column_name = 'updated_at'
      and exists (select from information_schema.tables t
                  where t.table_schema = 'public' and t.table_name = c.table_name
                    and t.table_type = 'BASE TABLE')
      and not exists (select from pg_trigger tg join pg_proc p on p.oid = tg.tgfoid
                      where tg.tgrelid = format('public.%I', c.table_name)::regclass
                        and p.proname = 'update_updated_at_column' and not tg.tgisinternal);
    if missing is not null then
        raise exception 'tables with updated_at but no update_updated_at_column trigger: %', missing;
    end if;
    raise notice '✅ every table with updated_at has its trigger';
end
$$;

do $$
declare
    pw text;
begin
    select hashed_password into pw from users where email = 'admin@vertexar.com' and role = 'admin';
    if pw is null then
        raise exception 'the default admin user admin@vertexar.com is missing';
    end if;
    if pw !~ '^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$' then
        raise exception 'the admin password is not stored as a bcrypt hash';
    end if;
    if not exists (select from storage_connections
                   where name = 'default_local' and provider = 'local_disk' and is_default
                     and base_path = '/app/storage/content') then
        raise exception 'the default storage connection default_local is missing';
    end if;
    if not exists (select from companies c join storage_connections s on s.id = c.storage_connection_id
                   where c.slug = 'vertex-ar-demo' and c.name = 'Vertex AR Demo'
                     and c.storage_type = 'local' and s.name = 'default_local') then
        raise exception 'the default company vertex-ar-demo is missing';
    end if;
    raise notice '✅ default data: admin user (bcrypt hash), default_local storage, Vertex AR Demo';
end
$$;
