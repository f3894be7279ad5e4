-- validate_schema.sql: the same checks and ✅ lines, each one failing (raising) when the
-- schema does not match.

-- ✅ All 11 tables exist
do $$
declare
    missing text;
begin
    select string_agg(t, ', ') into missing
    from unnest(array['profiles', 'projects', 'crawl_jobs', 'images', 'activity_logs', 'api_keys',
                      'credit_accounts', 'credit_transactions', 'notifications',
                      'notification_preferences', 'usage_metrics']) as t
    where to_regclass('public.' || t) is null;
    if missing is not null then
        raise exception 'tables missing: %', missing;
    end if;
    raise notice '✅ All 11 tables exist';
end
$$;

-- ✅ RLS enabled on all tables (and every table has at least one policy)
do $$
declare
    off text;
    unprotected text;
begin
    select string_agg(tablename, ', ') into off
    from pg_tables
    where schemaname = 'public' and not rowsecurity;
    if off is not null then
        raise exception 'RLS is not enabled on: %', off;
    end if;
    select string_agg(t.tablename, ', ') into unprotected
    from pg_tables t
    where t.schemaname = 'public'
      and not exists (select from pg_policies p where p.schemaname = 'public' and p.tablename = t.tablename);
    if unprotected is not null then
        raise exception 'tables without any policy: %', unprotected;
    end if;
    raise notice '✅ RLS enabled on all tables (% policies)',
        (select count(*) from pg_policies where schemaname = 'public');
end
$$;

-- ✅ All critical indexes exist
do $$
declare
    missing text;
begin
    select string_agg(i, ', ') into missing
    from unnest(array['projects_user_id_idx', 'crawl_jobs_project_id_idx', 'crawl_jobs_status_idx',
                      'images_crawl_job_id_idx', 'images_hash_idx', 'activity_logs_user_id_idx',
                      'api_keys_user_id_idx', 'credit_transactions_user_id_idx',
                      'notifications_user_id_idx', 'usage_metrics_user_date_unique']) as i
    where to_regclass('public.' || i) is null;
    if missing is not null then
        raise exception 'indexes missing: %', missing;
    end if;
    raise notice '✅ All critical indexes exist';
end
$$;

-- ✅ All triggers exist
do $$
declare
    missing text;
begin
    if not exists (select from pg_trigger
                   where tgrelid = 'auth.users'::regclass and tgname = 'on_auth_user_created') then
        raise exception 'trigger on_auth_user_created on auth.users is missing';
    end if;
    select string_agg(t, ', ') into missing
    from unnest(array['profiles', 'projects', 'crawl_jobs', 'api_keys', 'credit_accounts',
                      'notification_preferences']) as t
    where not exists (select from pg_trigger
                      where tgrelid = to_regclass('public.' || t) and tgname = 'handle_updated_at');
    if missing is not null then
        raise exception 'handle_updated_at trigger missing on: %', missing;
    end if;
    raise notice '✅ All triggers exist';
end
$$;

-- ✅ Column types validated (against the Drizzle schema)
do $$
declare
    wrong text;
begin
    select string_agg(format('%s.%s (expected %s)', e.tab, e.col, e.typ), ', ') into wrong
    from (values ('profiles', 'id', 'uuid'), ('profiles', 'email', 'text'),
                 ('projects', 'id', 'integer'), ('projects', 'user_id', 'uuid'),
                 ('projects', 'name', 'character varying'),
                 ('crawl_jobs', 'keywords', 'jsonb'), ('crawl_jobs', 'config', 'jsonb'),
                 ('crawl_jobs', 'max_images', 'integer'),
                 ('images', 'crawl_job_id', 'integer'), ('images', 'labels', 'jsonb'),
                 ('activity_logs', 'timestamp', 'timestamp with time zone'),
                 ('api_keys', 'id', 'uuid'), ('api_keys', 'permissions', 'jsonb'),
                 ('credit_accounts', 'current_balance', 'integer'),
                 ('credit_accounts', 'average_daily_usage', 'numeric'),
                 ('credit_transactions', 'amount', 'integer'),
                 ('notifications', 'is_read', 'boolean'),
                 ('notification_preferences', 'email_types', 'jsonb'),
                 ('usage_metrics', 'metric_date', 'date'),
                 ('usage_metrics', 'storage_used_gb', 'numeric')) as e (tab, col, typ)
    where not exists (select from information_schema.columns c
                      where c.table_schema = 'public' and c.table_name = e.tab
                        and c.column_name = e.col and c.data_type = e.typ);
    if wrong is not null then
        raise exception 'column types differ from the Drizzle schema: %', wrong;
    end if;
    raise notice '✅ Column types validated';
end
$$;

-- ✅ Chunk tracking fields exist in crawl_jobs
do $$
declare
    missing text;
begin
    select string_agg(col, ', ') into missing
    from unnest(array['total_chunks', 'active_chunks', 'completed_chunks', 'failed_chunks', 'task_ids']) as col
    where not exists (select from information_schema.columns c
                      where c.table_schema = 'public' and c.table_name = 'crawl_jobs' and c.column_name = col);
    if missing is not null then
        raise exception 'crawl_jobs lacks chunk tracking columns: %', missing;
    end if;
    raise notice '✅ Chunk tracking fields exist in crawl_jobs';
end
$$;

-- The seed's manual tests, automated (all rolled back with the verify transaction):
-- a new auth user gets a profile, 100 credits and preferences; RLS shows only their rows.
do $$
declare
    a uuid := gen_random_uuid();
    b uuid := gen_random_uuid();
    seen int;
begin
    insert into auth.users (id, email, raw_user_meta_data)
    values (a, 'verify-a@example.test', '{"full_name": "Verify A"}'),
           (b, 'verify-b@example.test', null);
    if not exists (select from profiles where id = a and full_name = 'Verify A')
       or (select current_balance from credit_accounts where user_id = a) is distinct from 100
       or not exists (select from notification_preferences where user_id = a) then
        raise exception 'on_auth_user_created did not create profile, 100 credits and preferences';
    end if;
    insert into projects (name, user_id) values ('verify a', a), ('verify b', b);

    perform set_config('request.jwt.claim.sub', a::text, true);
    set local role authenticated;
    select count(*) into seen from projects;
    reset role;
    if seen <> 1 then
        raise exception 'RLS: a user sees % projects, expected only their own', seen;
    end if;
    raise notice '✅ New users get profile, credits and preferences; RLS isolates users';
end
$$;

do $$
begin
    raise notice '✅ Schema validation completed successfully!';
end
$$;
