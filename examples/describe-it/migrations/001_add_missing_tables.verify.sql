-- validate_001.sql: 11 pass/fail checks. Each one raises (fails `ferry verify`) when the
-- database does not match; a ✅ NOTICE says it passed. The seed's checklist names ten of
-- them and announces 11: the eleventh here tries the session completion trigger.

-- Check 1/11: Tables Created 3/3
do $$
declare
    n int;
begin
    select count(*) into n from unnest(array['user_api_keys', 'user_progress', 'export_history']) t
    where to_regclass('public.' || t) is not null;
    if n <> 3 then
        raise exception 'Check 1/11 Tables Created: %/3', n;
    end if;
    raise notice '✅ Check 1/11 Tables Created: 3/3';
end
$$;

-- Check 2/11: RLS Enabled 3/3
do $$
declare
    n int;
begin
    select count(*) into n from pg_class
    where relnamespace = 'public'::regnamespace and relrowsecurity
      and relname in ('user_api_keys', 'user_progress', 'export_history');
    if n <> 3 then
        raise exception 'Check 2/11 RLS Enabled: %/3', n;
    end if;
    raise notice '✅ Check 2/11 RLS Enabled: 3/3';
end
$$;

-- Check 3/11: RLS Policies 12/12 (4 per table: select, insert, update, delete)
do $$
declare
    n int;
    short text;
begin
    select count(*) into n from pg_policies
    where schemaname = 'public' and tablename in ('user_api_keys', 'user_progress', 'export_history');
    select string_agg(format('%s lacks %s', t, c), ', ') into short
    from unnest(array['user_api_keys', 'user_progress', 'export_history']) t
    cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE']) c
    where not exists (select from pg_policies p
                      where p.schemaname = 'public' and p.tablename = t and p.cmd = c);
    if n <> 12 or short is not null then
        raise exception 'Check 3/11 RLS Policies: %/12 (%)', n, coalesce(short, 'extra policies');
    end if;
    raise notice '✅ Check 3/11 RLS Policies: 12/12';
end
$$;

-- Check 4/11: Indexes Created 7/7
do $$
declare
    missing text;
begin
    select string_agg(i, ', ') into missing
    from unnest(array['idx_user_api_keys_user_id', 'idx_user_progress_user_id',
                      'idx_user_progress_last_activity', 'idx_export_history_user_id',
                      'idx_export_history_status', 'idx_export_history_created_at',
                      'idx_export_history_expires_at']) i
    where to_regclass('public.' || i) is null;
    if missing is not null then
        raise exception 'Check 4/11 Indexes Created: missing %', missing;
    end if;
    raise notice '✅ Check 4/11 Indexes Created: 7/7';
end
$$;

-- Check 5/11: Triggers Created 4/4
do $$
declare
    missing text;
begin
    select string_agg(e.tg, ', ') into missing
    from (values ('update_user_api_keys_updated_at', 'public.user_api_keys'),
                 ('update_user_progress_updated_at', 'public.user_progress'),
                 ('update_export_history_updated_at', 'public.export_history'),
                 ('on_session_completed', 'public.sessions')) e (tg, tab)
    where not exists (select from pg_trigger where tgname = e.tg and tgrelid = to_regclass(e.tab));
    if missing is not null then
        raise exception 'Check 5/11 Triggers Created: missing %', missing;
    end if;
    raise notice '✅ Check 5/11 Triggers Created: 4/4';
end
$$;

-- Check 6/11: Functions Created 4/4
do $$
declare
    missing text;
begin
    select string_agg(f, ', ') into missing
    from unnest(array['public.update_updated_at_column()', 'public.calculate_user_level(integer)',
                      'public.update_user_progress_on_session_complete()',
                      'public.cleanup_expired_exports()']) f
    where to_regprocedure(f) is null;
    if missing is not null then
        raise exception 'Check 6/11 Functions Created: missing %', missing;
    end if;
    raise notice '✅ Check 6/11 Functions Created: 4/4';
end
$$;

-- Check 7/11: Foreign Keys 3/3 (user_id → auth.users, ON DELETE CASCADE)
do $$
declare
    n int;
begin
    select count(*) into n from pg_constraint
    where contype = 'f' and confrelid = 'auth.users'::regclass and confdeltype = 'c'
      and conrelid in (to_regclass('public.user_api_keys'), to_regclass('public.user_progress'),
                       to_regclass('public.export_history'));
    if n <> 3 then
        raise exception 'Check 7/11 Foreign Keys: %/3', n;
    end if;
    raise notice '✅ Check 7/11 Foreign Keys: 3/3';
end
$$;

-- Check 8/11: Unique Constraints 2/2 (one row per user)
do $$
declare
    n int;
begin
    select count(*) into n from pg_constraint
    where contype = 'u' and conname in ('user_api_keys_user_id_key', 'user_progress_user_id_key');
    if n <> 2 then
        raise exception 'Check 8/11 Unique Constraints: %/2', n;
    end if;
    raise notice '✅ Check 8/11 Unique Constraints: 2/2';
end
$$;

-- Check 9/11: Initial Data: rows >= users
do $$
declare
    progress bigint;
    users bigint;
begin
    select count(*) into progress from user_progress;
    select count(*) into users from auth.users;
    if progress < users then
        raise exception 'Check 9/11 Initial Data: % user_progress rows for % users', progress, users;
    end if;
    raise notice '✅ Check 9/11 Initial Data: % rows >= % users', progress, users;
end
$$;

-- Check 10/11: All columns present (8 + 25 + 18)
do $$
declare
    wrong text;
begin
    select string_agg(format('%s has %s columns, expected %s', e.tab, coalesce(c.n, 0), e.expected), ', ')
      into wrong
    from (values ('user_api_keys', 8), ('user_progress', 25), ('export_history', 18)) e (tab, expected)
    left join (select table_name, count(*) as n from information_schema.columns
               where table_schema = 'public' group by table_name) c on c.table_name = e.tab
    where coalesce(c.n, 0) <> e.expected;
    if wrong is not null then
        raise exception 'Check 10/11 Columns: %', wrong;
    end if;
    if not exists (select from information_schema.columns
                   where table_schema = 'public' and table_name = 'user_progress'
                     and column_name = 'achievements' and data_type = 'jsonb') then
        raise exception 'Check 10/11 Columns: user_progress.achievements must be jsonb';
    end if;
    raise notice '✅ Check 10/11 All columns present: 8 + 25 + 18';
end
$$;

-- Check 11/11: completing a session updates user_progress (in the verify transaction,
-- which is rolled back).
do $$
declare
    u uuid;
    s uuid;
    p user_progress%rowtype;
begin
    insert into auth.users (email) values ('validate-001@example.test') returning id into u;
    insert into sessions (user_id, started_at, images_viewed, questions_answered, questions_correct)
    values (u, now() - interval '20 minutes', 4, 10, 8) returning id into s;
    update sessions set status = 'completed', completed_at = now(), duration_minutes = 20 where id = s;
    select * into p from user_progress where user_id = u;
    if p.user_id is null or p.completed_sessions <> 1 or p.correct_answers <> 8
       or p.total_study_time_minutes <> 20 or p.average_accuracy <> 80 or p.current_streak_days <> 1 then
        raise exception 'Check 11/11 Session trigger: user_progress is %', to_jsonb(p);
    end if;
    raise notice '✅ Check 11/11 Session trigger: a completed session updated user_progress (% XP, level %)',
        p.experience_points, p.level;
end
$$;
