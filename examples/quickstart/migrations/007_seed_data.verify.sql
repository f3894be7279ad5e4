do $$
begin
    if (select count(*) from accounts) < 3 then
        raise exception 'expected the 3 demo accounts, found %', (select count(*) from accounts);
    end if;
    if not exists (select 1 from users where full_name = 'Linus \ Backslash') then
        raise exception 'COPY data lost its backslash';
    end if;
end
$$;
