do $$
begin
    if to_regclass('public.policies') is null then
        raise exception 'table policies is missing';
    end if;
    if not exists (select from pg_constraint where conrelid = 'public.policies'::regclass
                   and conname = 'policies_tenant_name_unique') then
        raise exception 'policy names must be unique per tenant (policies_tenant_name_unique)';
    end if;
    if to_regclass('public.idx_policies_tenant_id') is null or to_regclass('public.idx_policies_active') is null then
        raise exception 'indexes idx_policies_tenant_id and idx_policies_active must exist';
    end if;
    raise notice '✅ policies: unique per tenant, indexes';
end
$$;
