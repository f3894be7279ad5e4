-- Migration 001: schema alignment — the three tables the application code expects.
--   user_api_keys   (8 columns)  encrypted API credentials; 4 RLS policies; 1 index
--   user_progress   (25 columns) aggregate statistics, kept current by a trigger on
--                                sessions; 4 RLS policies; 2 indexes
--   export_history  (18 columns) audit trail of data exports; 4 RLS policies; 4 indexes
-- 12 RLS policies, 7 indexes, 4 triggers, 4 functions, initial data for existing users.

-- Functions -------------------------------------------------------------------------------

-- 1. Keeps updated_at current.
create or replace function update_updated_at_column() returns trigger
language plpgsql
as $$
begin
    new.updated_at := now();
    return new;
end;
$$;

-- 2. The level reached with a number of experience points (100 XP for level 2, 400 for 3...).
create or replace function calculate_user_level(points integer) returns integer
language sql
immutable
strict
as $$
    select greatest(1, floor(sqrt(greatest(points, 0) / 100.0))::integer + 1)
$$;

-- Tables -----------------------------------------------------------------------------------

create table user_api_keys (
    id                        uuid primary key default gen_random_uuid(),
    user_id                   uuid not null references auth.users (id) on delete cascade,
    openai_api_key_encrypted  text,
    unsplash_api_key_encrypted text,
    anthropic_api_key_encrypted text,
    last_validated_at         timestamptz,
    created_at                timestamptz not null default now(),
    updated_at                timestamptz not null default now(),
    constraint user_api_keys_user_id_key unique (user_id)
);

comment on table user_api_keys is 'API credentials per user; values are encrypted by the application before they are stored';

create table user_progress (
    id                        uuid primary key default gen_random_uuid(),
    user_id                   uuid not null references auth.users (id) on delete cascade,
    total_sessions            integer not null default 0,
    completed_sessions        integer not null default 0,
    total_images_described    integer not null default 0,
    total_descriptions        integer not null default 0,
    total_questions_answered  integer not null default 0,
    correct_answers           integer not null default 0,
    total_phrases_learned     integer not null default 0,
    total_vocabulary_words    integer not null default 0,
    current_streak_days       integer not null default 0,
    longest_streak_days       integer not null default 0,
    last_activity_date        date,
    total_study_time_minutes  integer not null default 0,
    average_accuracy          numeric(5, 2),
    level                     integer not null default 1,
    experience_points         integer not null default 0,
    achievements              jsonb not null default '[]'::jsonb,
    preferred_difficulty      text not null default 'beginner'
                              check (preferred_difficulty in ('beginner', 'intermediate', 'advanced')),
    preferred_language        text not null default 'es',
    weekly_goal_minutes       integer not null default 60,
    weekly_progress_minutes   integer not null default 0,
    last_session_at           timestamptz,
    created_at                timestamptz not null default now(),
    updated_at                timestamptz not null default now(),
    constraint user_progress_user_id_key unique (user_id),
    constraint user_progress_counts_check
        check (completed_sessions <= total_sessions and correct_answers <= total_questions_answered
               and longest_streak_days >= current_streak_days and level >= 1),
    constraint user_progress_accuracy_check check (average_accuracy between 0 and 100)
);

create table export_history (
    id               uuid primary key default gen_random_uuid(),
    user_id          uuid not null references auth.users (id) on delete cascade,
    export_type      text not null
                     check (export_type in ('vocabulary', 'phrases', 'sessions', 'progress', 'full')),
    file_format      text not null check (file_format in ('json', 'csv', 'pdf', 'anki')),
    file_name        text,
    file_size_bytes  bigint check (file_size_bytes >= 0),
    file_url         text,
    storage_path     text,
    status           text not null default 'pending'
                     check (status in ('pending', 'processing', 'completed', 'failed', 'expired')),
    record_count     integer check (record_count >= 0),
    filters          jsonb not null default '{}'::jsonb,
    error_message    text,
    started_at       timestamptz,
    completed_at     timestamptz,
    expires_at       timestamptz,
    download_count   integer not null default 0,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    constraint export_history_failed_has_error check (status <> 'failed' or error_message is not null)
);

-- Indexes (7) -----------------------------------------------------------------------------
create index idx_user_api_keys_user_id on user_api_keys (user_id);
create index idx_user_progress_user_id on user_progress (user_id);
create index idx_user_progress_last_activity on user_progress (last_activity_date desc);
create index idx_export_history_user_id on export_history (user_id);
create index idx_export_history_status on export_history (status);
create index idx_export_history_created_at on export_history (created_at desc);
create index idx_export_history_expires_at on export_history (expires_at) where expires_at is not null;

-- 3. Folds a completed session into the user's progress.
create or replace function update_user_progress_on_session_complete() returns trigger
language plpgsql
security definer
set search_path = public, pg_temp
as $$
declare
    p user_progress%rowtype;
    finished timestamptz := coalesce(new.completed_at, now());
    day date := (coalesce(new.completed_at, now()))::date;
    minutes integer := coalesce(new.duration_minutes,
                                greatest(1, (extract(epoch from finished - new.started_at) / 60)::integer));
    streak integer;
    points integer;
begin
    insert into user_progress (user_id) values (new.user_id)
    on conflict (user_id) do nothing;

    select * into p from user_progress where user_id = new.user_id for update;

    streak := case
        when p.last_activity_date = day then greatest(p.current_streak_days, 1)
        when p.last_activity_date = day - 1 then p.current_streak_days + 1
        else 1
    end;
    points := p.experience_points + 10 + 2 * new.questions_correct + new.descriptions_generated
              + new.phrases_learned + new.vocabulary_learned;

    update user_progress set
        total_sessions           = greatest(p.total_sessions,
                                            (select count(*) from sessions where user_id = new.user_id)),
        completed_sessions       = p.completed_sessions + 1,
        total_images_described   = p.total_images_described + new.images_viewed,
        total_descriptions       = p.total_descriptions + new.descriptions_generated,
        total_questions_answered = p.total_questions_answered + new.questions_answered,
        correct_answers          = p.correct_answers + new.questions_correct,
        total_phrases_learned    = p.total_phrases_learned + new.phrases_learned,
        total_vocabulary_words   = p.total_vocabulary_words + new.vocabulary_learned,
        current_streak_days      = streak,
        longest_streak_days      = greatest(p.longest_streak_days, streak),
        last_activity_date       = greatest(p.last_activity_date, day),
        total_study_time_minutes = p.total_study_time_minutes + minutes,
        average_accuracy         = case
            when p.total_questions_answered + new.questions_answered > 0
            then round(100.0 * (p.correct_answers + new.questions_correct)
                       / (p.total_questions_answered + new.questions_answered), 2)
        end,
        experience_points        = points,
        level                    = calculate_user_level(points),
        weekly_progress_minutes  = case
            when date_trunc('week', p.last_session_at) = date_trunc('week', finished)
            then p.weekly_progress_minutes + minutes
            else minutes
        end,
        last_session_at          = greatest(p.last_session_at, finished)
    where user_id = new.user_id;

    return null;
end;
$$;

-- 4. Marks completed exports past their expiry as expired; returns how many.
create or replace function cleanup_expired_exports() returns integer
language plpgsql
as $$
declare
    n integer;
begin
    update export_history
    set status = 'expired', file_url = null
    where status = 'completed' and expires_at < now();
    get diagnostics n = row_count;
    return n;
end;
$$;

-- Triggers (4) ----------------------------------------------------------------------------
create trigger update_user_api_keys_updated_at
    before update on user_api_keys
    for each row execute function update_updated_at_column();
create trigger update_user_progress_updated_at
    before update on user_progress
    for each row execute function update_updated_at_column();
create trigger update_export_history_updated_at
    before update on export_history
    for each row execute function update_updated_at_column();
create trigger on_session_completed
    after update of status on sessions
    for each row
    when (new.status = 'completed' and old.status is distinct from 'completed')
    execute function update_user_progress_on_session_complete();

-- Row Level Security: 12 policies, each user sees and changes only their own rows ----------
alter table user_api_keys enable row level security;
alter table user_progress enable row level security;
alter table export_history enable row level security;

create policy "Users can view own API keys" on user_api_keys
    for select to authenticated using (auth.uid() = user_id);
create policy "Users can insert own API keys" on user_api_keys
    for insert to authenticated with check (auth.uid() = user_id);
create policy "Users can update own API keys" on user_api_keys
    for update to authenticated using (auth.uid() = user_id) with check (auth.uid() = user_id);
create policy "Users can delete own API keys" on user_api_keys
    for delete to authenticated using (auth.uid() = user_id);

create policy "Users can view own progress" on user_progress
    for select to authenticated using (auth.uid() = user_id);
create policy "Users can insert own progress" on user_progress
    for insert to authenticated with check (auth.uid() = user_id);
create policy "Users can update own progress" on user_progress
    for update to authenticated using (auth.uid() = user_id) with check (auth.uid() = user_id);
create policy "Users can delete own progress" on user_progress
    for delete to authenticated using (auth.uid() = user_id);

create policy "Users can view own exports" on export_history
    for select to authenticated using (auth.uid() = user_id);
create policy "Users can insert own exports" on export_history
    for insert to authenticated with check (auth.uid() = user_id);
create policy "Users can update own exports" on export_history
    for update to authenticated using (auth.uid() = user_id) with check (auth.uid() = user_id);
create policy "Users can delete own exports" on export_history
    for delete to authenticated using (auth.uid() = user_id);

grant select, insert, update, delete on user_api_keys, user_progress, export_history
    to authenticated, service_role;

-- Initial data: a progress row for every existing user, from their sessions so far ---------
insert into user_progress (user_id, total_sessions, completed_sessions, total_images_described,
                           total_descriptions, total_questions_answered, correct_answers,
                           total_phrases_learned, total_vocabulary_words, last_activity_date,
                           total_study_time_minutes, average_accuracy, experience_points, level,
                           last_session_at)
select u.id,
       count(s.id),
       count(s.id) filter (where s.status = 'completed'),
       coalesce(sum(s.images_viewed) filter (where s.status = 'completed'), 0),
       coalesce(sum(s.descriptions_generated) filter (where s.status = 'completed'), 0),
       coalesce(sum(s.questions_answered) filter (where s.status = 'completed'), 0),
       coalesce(sum(s.questions_correct) filter (where s.status = 'completed'), 0),
       coalesce(sum(s.phrases_learned) filter (where s.status = 'completed'), 0),
       coalesce(sum(s.vocabulary_learned) filter (where s.status = 'completed'), 0),
       max(s.completed_at)::date,
       coalesce(sum(s.duration_minutes) filter (where s.status = 'completed'), 0),
       round(100.0 * sum(s.questions_correct) filter (where s.status = 'completed')
             / nullif(sum(s.questions_answered) filter (where s.status = 'completed'), 0), 2),
       x.points,
       calculate_user_level(x.points),
       max(s.completed_at)
from auth.users u
left join sessions s on s.user_id = u.id
cross join lateral (
    select coalesce(sum(10 + 2 * s2.questions_correct + s2.descriptions_generated
                        + s2.phrases_learned + s2.vocabulary_learned), 0)::integer as points
    from sessions s2
    where s2.user_id = u.id and s2.status = 'completed'
) x
group by u.id, x.points
on conflict (user_id) do nothing;
