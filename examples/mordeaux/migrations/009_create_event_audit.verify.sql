do $$
begin
    if to_regclass('public.event_audit') is null then
        raise exception 'table event_audit is missing';
    end if;
    if (select data_type from information_schema.columns
        where table_schema = 'public' and table_name = 'event_audit' and column_name = 'payload') is distinct from 'jsonb' then
        raise exception 'event_audit.payload must be jsonb';
    end if;
    if to_regclass('public.idx_event_audit_tenant_created') is null
       or to_regclass('public.idx_event_audit_created_at') is null then
        raise exception 'indexes idx_event_audit_tenant_created and idx_event_audit_created_at must exist';
    end if;
    raise notice '✅ event_audit: jsonb payload, time indexes';
end
$$;
