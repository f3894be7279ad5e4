-- verify_data_integrity.sql, part 2: the new columns and the partial indexes.
do $$
declare
    missing text;
begin
    select string_agg(format('%s.%s (%s)', e.tab, e.col, e.typ), ', ') into missing
    from (values ('business_profiles', 'avatar_s3_url', 'text'),
                 ('business_profiles', 'logo_s3_url', 'text'),
                 ('business_profiles', 'document_s3_urls', 'jsonb'),
                 ('visibility_check_leads', 'report_s3_url', 'text'),
                 ('visibility_check_leads', 'report_expires_at', 'timestamp with time zone'),
                 ('visibility_check_leads', 'screenshot_s3_urls', 'jsonb'),
                 ('business_partners', 'contract_s3_urls', 'jsonb'),
                 ('business_partners', 'verification_document_s3_urls', 'jsonb')) as e (tab, col, typ)
    where not exists (select from information_schema.columns c
                      where c.table_schema = 'public' and c.table_name = e.tab
                        and c.column_name = e.col and c.data_type = e.typ);
    if missing is not null then
        raise exception 'S3 columns missing: %', missing;
    end if;
    raise notice '✅ the 8 S3 columns exist on business_profiles, visibility_check_leads, business_partners';
end
$$;

do $$
declare
    missing text;
begin
    select string_agg(i, ', ') into missing
    from unnest(array['idx_business_profiles_avatar_s3_url', 'idx_business_profiles_logo_s3_url',
                      'idx_visibility_check_leads_report_s3_url',
                      'idx_visibility_check_leads_report_expires_at']) as i
    where not exists (select from pg_index x join pg_class c on c.oid = x.indexrelid
                      where c.relname = i and c.relnamespace = 'public'::regnamespace
                        and x.indpred is not null);
    if missing is not null then
        raise exception 'partial indexes missing (or not partial): %', missing;
    end if;
    raise notice '✅ the 4 partial indexes on existing tables exist';
end
$$;
