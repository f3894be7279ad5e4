-- Extensions the schema relies on, and the application role.
-- Roles are cluster-wide: create them idempotently and never drop them in a down script.
create extension if not exists pgcrypto;

do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'app_user') then
        create role app_user nologin;
    end if;
end
$$;
