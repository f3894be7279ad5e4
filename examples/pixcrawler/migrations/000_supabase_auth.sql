-- A stand-in for what Supabase provides, so that the schema runs on a plain PostgreSQL 15:
-- the auth schema with auth.users, auth.uid(), and the API roles with their grants.
-- On a real Supabase project, skip this migration with `ferry baseline 000`.

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
