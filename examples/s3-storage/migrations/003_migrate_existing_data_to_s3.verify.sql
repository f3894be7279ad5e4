-- verify_data_integrity.sql, part 3: the log, the helper, the progress view and the data.
do $$
begin
    if to_regclass('public.s3_migration_log') is null then
        raise exception 'table s3_migration_log does not exist';
    end if;
    begin
        insert into s3_migration_log (table_name, record_id, migration_status)
        values ('business_profiles', gen_random_uuid(), 'done');
        raise exception 's3_migration_log accepted the status ''done''';
    exception when check_violation then
        null;
    end;
    raise notice '✅ s3_migration_log exists and allows only pending/migrated/failed/skipped';
end
$$;

do $$
declare
    url text;
begin
    if to_regprocedure('public.generate_s3_url(text, text, uuid, text)') is null then
        raise exception 'function generate_s3_url(text, text, uuid, text) does not exist';
    end if;
    url := generate_s3_url('matbakh-files-profile', 'avatars/user123',
                           '00000000-0000-0000-0000-000000000001', 'JPG');
    if url is distinct from
       'https://matbakh-files-profile.s3.eu-central-1.amazonaws.com/avatars/user123/00000000-0000-0000-0000-000000000001.jpg' then
        raise exception 'generate_s3_url returned %', url;
    end if;
    raise notice '✅ generate_s3_url builds %', url;
end
$$;

do $$
declare
    logged bigint;
    counted bigint;
    bad text;
begin
    if to_regclass('public.s3_migration_progress') is null then
        raise exception 'view s3_migration_progress does not exist';
    end if;
    select count(*) into logged from s3_migration_log;
    select coalesce(sum(record_count), 0) into counted from s3_migration_progress;
    if logged <> counted then
        raise exception 's3_migration_progress counts % entries, the log holds %', counted, logged;
    end if;
    select string_agg(table_name, ', ') into bad
    from (select table_name from s3_migration_progress
          group by table_name having sum(percentage) not between 99.9 and 100.1) t;
    if bad is not null then
        raise exception 'percentages do not add up to 100 for: %', bad;
    end if;
    raise notice '✅ s3_migration_progress accounts for all % log entries', logged;
end
$$;

-- Data integrity: every existing record is in the log, every log entry has its record.
do $$
declare
    unlogged bigint;
    orphans bigint;
begin
    select (select count(*) from business_profiles r where not exists
               (select from s3_migration_log l where l.table_name = 'business_profiles' and l.record_id = r.id))
         + (select count(*) from visibility_check_leads r where not exists
               (select from s3_migration_log l where l.table_name = 'visibility_check_leads' and l.record_id = r.id))
         + (select count(*) from business_partners r where not exists
               (select from s3_migration_log l where l.table_name = 'business_partners' and l.record_id = r.id))
      into unlogged;
    if unlogged > 0 then
        raise exception '% existing records have no entry in s3_migration_log', unlogged;
    end if;

    select count(*) into orphans
    from s3_migration_log l
    where not case l.table_name
        when 'business_profiles' then exists (select from business_profiles r where r.id = l.record_id)
        when 'visibility_check_leads' then exists (select from visibility_check_leads r where r.id = l.record_id)
        when 'business_partners' then exists (select from business_partners r where r.id = l.record_id)
        else false
    end;
    if orphans > 0 then
        raise exception '% s3_migration_log entries point at records that do not exist', orphans;
    end if;
    raise notice '✅ every existing record is logged, no orphan log entries';
end
$$;

do $$
declare
    lost bigint;
    summary text;
begin
    select count(*) into lost
    from s3_migration_log l
    where l.migration_status = 'migrated'
      and not case l.table_name
          when 'business_profiles' then exists (select from business_profiles r where r.id = l.record_id
                                                and l.new_s3_url in (r.avatar_s3_url, r.logo_s3_url))
          when 'visibility_check_leads' then exists (select from visibility_check_leads r where r.id = l.record_id
                                                     and r.report_s3_url = l.new_s3_url)
          when 'business_partners' then exists (select from business_partners r where r.id = l.record_id
                                                and r.contract_s3_urls ? l.new_s3_url)
          else false
      end;
    if lost > 0 then
        raise exception '% migrated files have no S3 URL on their record', lost;
    end if;
    select string_agg(format('%s %s', n, migration_status), ', ' order by migration_status) into summary
    from (select migration_status, count(*) as n from s3_migration_log group by migration_status) s;
    raise notice '✅ migrated URLs are on their records (log: %)', coalesce(summary, 'empty');
end
$$;
