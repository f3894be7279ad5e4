do $$
declare
    r record;
begin
    select * into r from account_usage(1);
    if r.projects <> 2 then
        raise exception 'account 1 should have 2 projects, has %', r.projects;
    end if;
    raise notice 'account 1: % projects, % open tasks, % users', r.projects, r.open_tasks, r.users;
end
$$;
