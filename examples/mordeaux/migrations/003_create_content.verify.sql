do $$
begin
    if to_regclass('public.content') is null then
        raise exception 'table content is missing';
    end if;
    if (select data_type from information_schema.columns
        where table_schema = 'public' and table_name = 'content' and column_name = 'metadata') is distinct from 'jsonb' then
        raise exception 'content.metadata must be jsonb';
    end if;
    if not exists (select from pg_constraint where conrelid = 'public.content'::regclass
                   and conname = 'content_tenant_sha256_unique') then
        raise exception 'content must be unique per (tenant_id, sha256)';
    end if;
    if to_regclass('public.idx_content_tenant_id') is null or to_regclass('public.idx_content_metadata') is null then
        raise exception 'indexes idx_content_tenant_id and idx_content_metadata must exist';
    end if;
    raise notice '✅ content: jsonb metadata, dedup by sha256, indexes';
end
$$;
