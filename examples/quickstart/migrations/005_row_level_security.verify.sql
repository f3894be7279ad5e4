do $$
declare
    missing text;
begin
    select string_agg(c.relname, ', ') into missing
    from pg_class c
    where c.relname in ('projects', 'tasks') and c.relnamespace = 'public'::regnamespace
      and not c.relrowsecurity;
    if missing is not null then
        raise exception 'row level security is off on: %', missing;
    end if;
    raise notice 'RLS enabled on projects and tasks';
end
$$;
