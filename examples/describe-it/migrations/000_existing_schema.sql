-- What migration 001 found in place. On Supabase this already exists (`ferry baseline 000`
-- there); here it is a small stand-in so that the example runs on a plain PostgreSQL 15:
--   * Supabase's auth schema: auth.users, auth.uid(), the API roles;
--   * describe-it's learning sessions, which 001's trigger turns into user progress;
--   * a few existing users with sessions, for 001's initial data.

-- Supabase's auth stand-in -----------------------------------------------------------------
create schema auth;

create table auth.users (
    id                 uuid primary key default gen_random_uuid(),
    email              text,
    raw_user_meta_data jsonb,
    created_at         timestamptz default now()
);

-- auth.uid(): the `sub` claim of the request's JWT, as PostgREST sets it
-- (request.jwt.claim.sub, or the newer request.jwt.claims JSON).
create function auth.uid() returns uuid
language sql
stable
as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
    )::uuid
$$;

-- Roles are cluster-wide: created only when missing (another database may have made them,
-- even concurrently) and never dropped by a down script. service_role bypasses RLS, as on
-- Supabase.
do $$
declare
    r record;
begin
    for r in select * from (values ('anon', 'nologin'),
                                   ('authenticated', 'nologin'),
                                   ('service_role', 'nologin bypassrls')) as v (name, options) loop
        if not exists (select from pg_roles where rolname = r.name) then
            begin
                execute format('create role %I %s', r.name, r.options);
            exception when duplicate_object or unique_violation then
                null; -- created by a concurrent session in the meantime
            end;
        end if;
    end loop;
end
$$;

grant usage on schema auth to anon, authenticated, service_role;
grant execute on function auth.uid() to anon, authenticated, service_role;
grant usage on schema public to anon, authenticated, service_role;

-- describe-it's learning sessions ------------------------------------------------------------
create table sessions (
    id                      uuid primary key default gen_random_uuid(),
    user_id                 uuid not null references auth.users (id) on delete cascade,
    session_type            text not null default 'describe'
                            check (session_type in ('describe', 'qa', 'vocabulary', 'mixed')),
    status                  text not null default 'active'
                            check (status in ('active', 'completed', 'abandoned')),
    started_at              timestamptz not null default now(),
    completed_at            timestamptz,
    duration_minutes        integer check (duration_minutes >= 0),
    images_viewed           integer not null default 0,
    descriptions_generated  integer not null default 0,
    questions_answered      integer not null default 0,
    questions_correct       integer not null default 0,
    phrases_learned         integer not null default 0,
    vocabulary_learned      integer not null default 0,
    created_at              timestamptz not null default now(),
    updated_at              timestamptz not null default now(),
    constraint sessions_correct_le_answered check (questions_correct <= questions_answered)
);

create index idx_sessions_user_id on sessions (user_id, started_at desc);

alter table sessions enable row level security;
create policy "Users can manage own sessions" on sessions
    for all to authenticated using (auth.uid() = user_id) with check (auth.uid() = user_id);
grant select, insert, update, delete on sessions to authenticated, service_role;

-- Existing users and their sessions.
insert into auth.users (id, email, raw_user_meta_data) values
    ('a1f0c2d4-5b6e-4f70-8a91-b2c3d4e5f601', 'lucia@example.test', '{"full_name": "Lucía Fernández"}'),
    ('a1f0c2d4-5b6e-4f70-8a91-b2c3d4e5f602', 'tom@example.test', '{"full_name": "Tom Becker"}'),
    ('a1f0c2d4-5b6e-4f70-8a91-b2c3d4e5f603', 'new@example.test', null);

insert into sessions (user_id, session_type, status, started_at, completed_at, duration_minutes,
                      images_viewed, descriptions_generated, questions_answered, questions_correct,
                      phrases_learned, vocabulary_learned) values
    ('a1f0c2d4-5b6e-4f70-8a91-b2c3d4e5f601', 'describe', 'completed', now() - interval '2 days',
     now() - interval '2 days' + interval '25 minutes', 25, 6, 6, 12, 10, 8, 15),
    ('a1f0c2d4-5b6e-4f70-8a91-b2c3d4e5f601', 'qa', 'completed', now() - interval '1 day',
     now() - interval '1 day' + interval '15 minutes', 15, 3, 0, 20, 17, 2, 5),
    ('a1f0c2d4-5b6e-4f70-8a91-b2c3d4e5f601', 'vocabulary', 'active', now() - interval '5 minutes',
     null, null, 1, 0, 0, 0, 0, 3),
    ('a1f0c2d4-5b6e-4f70-8a91-b2c3d4e5f602', 'mixed', 'abandoned', now() - interval '3 days',
     null, 4, 1, 1, 2, 1, 0, 0);
