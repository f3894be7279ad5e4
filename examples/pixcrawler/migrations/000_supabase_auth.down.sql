-- anon, authenticated and service_role are cluster-wide: they stay.
revoke usage on schema public from anon, authenticated, service_role;
revoke execute on function auth.uid() from anon, authenticated, service_role;
revoke usage on schema auth from anon, authenticated, service_role;
drop function auth.uid();
drop table auth.users;
drop schema auth;
