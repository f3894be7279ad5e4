-- Fails (raises) unless both tables and the case-insensitive email index exist.
do $$
begin
    if to_regclass('public.users') is null or to_regclass('public.accounts') is null then
        raise exception 'tables accounts and users must exist';
    end if;
    if to_regclass('public.users_email_key') is null then
        raise exception 'unique index users_email_key is missing';
    end if;
end
$$;
