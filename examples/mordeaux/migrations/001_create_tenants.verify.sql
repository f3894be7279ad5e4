do $$
begin
    if to_regclass('public.tenants') is null then
        raise exception 'table tenants is missing';
    end if;
    if (select data_type from information_schema.columns
        where table_schema = 'public' and table_name = 'tenants' and column_name = 'id') is distinct from 'uuid' then
        raise exception 'tenants.id must be a uuid';
    end if;
    if to_regclass('public.idx_tenants_status') is null or to_regclass('public.idx_tenants_created_at') is null then
        raise exception 'indexes idx_tenants_status and idx_tenants_created_at must exist';
    end if;
    if to_regprocedure('public.update_updated_at_column()') is null
       or not exists (select from pg_trigger where tgrelid = 'public.tenants'::regclass
                      and tgname = 'update_tenants_updated_at') then
        raise exception 'the updated_at trigger on tenants is missing';
    end if;
    raise notice '✅ tenants: uuid key, indexes, updated_at trigger';
end
$$;
