drop table visibility_check_leads;
drop table business_profiles;
drop table business_partners;

revoke usage on schema public from anon, authenticated, service_role;
revoke usage on schema auth from anon, authenticated, service_role;
-- anon, authenticated and service_role are cluster-wide: they stay.
drop function auth.uid();
drop table auth.users;
drop schema auth;
