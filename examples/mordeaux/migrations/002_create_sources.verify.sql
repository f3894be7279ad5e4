do $$
begin
    if to_regclass('public.sources') is null then
        raise exception 'table sources is missing';
    end if;
    if not exists (select from pg_constraint where conrelid = 'public.sources'::regclass
                   and contype = 'f' and confrelid = 'public.tenants'::regclass) then
        raise exception 'sources.tenant_id has no foreign key to tenants';
    end if;
    if to_regclass('public.idx_sources_tenant_id') is null or to_regclass('public.idx_sources_tenant_type') is null then
        raise exception 'indexes idx_sources_tenant_id and idx_sources_tenant_type must exist';
    end if;
    raise notice '✅ sources: tenant foreign key and indexes';
end
$$;
