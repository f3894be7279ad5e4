-- The Supabase stand-in: auth.users, auth.uid() reading the JWT claim, the API roles.
do $$
declare
    uid uuid := '11111111-2222-4333-8444-555555555555';
begin
    if to_regclass('auth.users') is null then
        raise exception 'table auth.users is missing';
    end if;
    if to_regprocedure('auth.uid()') is null then
        raise exception 'function auth.uid() is missing';
    end if;
    perform set_config('request.jwt.claim.sub', uid::text, true);
    if auth.uid() is distinct from uid then
        raise exception 'auth.uid() does not read request.jwt.claim.sub (got %)', auth.uid();
    end if;
    perform set_config('request.jwt.claim.sub', '', true);
    perform set_config('request.jwt.claims', json_build_object('sub', uid)::text, true);
    if auth.uid() is distinct from uid then
        raise exception 'auth.uid() does not read request.jwt.claims (got %)', auth.uid();
    end if;
    if (select count(*) from pg_roles where rolname in ('anon', 'authenticated', 'service_role')) <> 3 then
        raise exception 'roles anon, authenticated and service_role must exist';
    end if;
    raise notice '✅ Supabase stand-in: auth.users, auth.uid(), roles anon/authenticated/service_role';
end
$$;
