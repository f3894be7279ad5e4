-- Requirement 4.3: prepare the existing rows for the file transfer to S3.
--   * s3_migration_log: one entry per existing file (or per record without a file), with a
--     status pending / migrated / failed / skipped that the transfer scripts update;
--   * generate_s3_url(): the helper that builds every S3 URL the same way;
--   * s3_migration_progress: progress by table and status;
--   * the data preparation itself.

create table if not exists s3_migration_log (
    id               uuid primary key default gen_random_uuid(),
    table_name       text not null
                     check (table_name in ('business_profiles', 'visibility_check_leads', 'business_partners')),
    record_id        uuid not null,
    old_url          text,
    new_s3_url       text,
    migration_status text not null default 'pending',
    error_message    text,
    migrated_at      timestamptz,
    created_at       timestamptz not null default now(),
    constraint s3_migration_log_status_check
        check (migration_status in ('pending', 'migrated', 'failed', 'skipped')),
    constraint s3_migration_log_migrated_has_url
        check (migration_status <> 'migrated' or (new_s3_url is not null and migrated_at is not null)),
    constraint s3_migration_log_failed_has_error
        check (migration_status <> 'failed' or error_message is not null),
    constraint s3_migration_log_entry_unique unique (table_name, record_id, old_url)
);

create index if not exists idx_s3_migration_log_status on s3_migration_log (migration_status);
create index if not exists idx_s3_migration_log_table_record on s3_migration_log (table_name, record_id);

comment on table s3_migration_log is 'Progress of moving existing files to S3, one row per file';

-- generate_s3_url('matbakh-files-profile', 'avatars/user123', gen_random_uuid(), 'jpg')
--   → https://matbakh-files-profile.s3.eu-central-1.amazonaws.com/avatars/user123/<uuid>.jpg
create or replace function generate_s3_url(
    bucket_name    text,
    folder_path    text,
    file_id        uuid,
    file_extension text
) returns text
language sql
immutable
strict
as $$
    select 'https://' || bucket_name || '.s3.eu-central-1.amazonaws.com/'
        || coalesce(nullif(trim(both '/' from folder_path), '') || '/', '')
        || file_id::text
        || coalesce('.' || nullif(lower(ltrim(file_extension, '.')), ''), '')
$$;

create or replace view s3_migration_progress as
select table_name,
       migration_status,
       count(*) as record_count,
       round(100.0 * count(*) / sum(count(*)) over (partition by table_name), 2) as percentage,
       min(created_at) as first_entry,
       max(migrated_at) as last_migration
from s3_migration_log
group by table_name, migration_status;

-- The data preparation ----------------------------------------------------------------------
-- Every file URL of the existing rows, with the S3 location it moves to.
with files (table_name, record_id, old_url, bucket, folder) as (
    select 'business_profiles', id, avatar_url, 'matbakh-files-profile', 'avatars/' || id
    from business_profiles where nullif(avatar_url, '') is not null
    union all
    select 'business_profiles', id, logo_url, 'matbakh-files-profile', 'logos/' || id
    from business_profiles where nullif(logo_url, '') is not null
    union all
    select 'visibility_check_leads', id, report_url, 'matbakh-files-reports', 'reports/' || id
    from visibility_check_leads where nullif(report_url, '') is not null
    union all
    select 'business_partners', id, contract_document_url, 'matbakh-files-documents', 'contracts/' || id
    from business_partners where nullif(contract_document_url, '') is not null
)
insert into s3_migration_log (table_name, record_id, old_url, new_s3_url, migration_status, error_message, migrated_at)
select table_name,
       record_id,
       old_url,
       case
           when old_url ~ '^https://[a-z0-9.-]+\.s3\.[a-z0-9-]+\.amazonaws\.com/' then old_url
           when old_url ~ '^https?://' then
               generate_s3_url(bucket, folder, md5(old_url)::uuid,
                               coalesce(substring(old_url from '\.([A-Za-z0-9]+)$'), 'bin'))
       end,
       case
           when old_url ~ '^https://[a-z0-9.-]+\.s3\.[a-z0-9-]+\.amazonaws\.com/' then 'migrated'
           when old_url ~ '^https?://' then 'pending'
           else 'failed'
       end,
       case when old_url !~ '^https?://' then 'not an absolute URL: ' || old_url end,
       case when old_url ~ '^https://[a-z0-9.-]+\.s3\.[a-z0-9-]+\.amazonaws\.com/' then now() end
from files
on conflict (table_name, record_id, old_url) do nothing;

-- Records without any file: nothing to transfer.
insert into s3_migration_log (table_name, record_id, migration_status)
select 'business_profiles', id, 'skipped' from business_profiles
where nullif(avatar_url, '') is null and nullif(logo_url, '') is null
union all
select 'visibility_check_leads', id, 'skipped' from visibility_check_leads
where nullif(report_url, '') is null
union all
select 'business_partners', id, 'skipped' from business_partners
where nullif(contract_document_url, '') is null;

-- Files already on S3 need no transfer: their URLs go to the new columns now.
update business_profiles p
set avatar_s3_url = l.new_s3_url
from s3_migration_log l
where l.table_name = 'business_profiles' and l.record_id = p.id
  and l.old_url = p.avatar_url and l.migration_status = 'migrated';

update business_profiles p
set logo_s3_url = l.new_s3_url
from s3_migration_log l
where l.table_name = 'business_profiles' and l.record_id = p.id
  and l.old_url = p.logo_url and l.migration_status = 'migrated';

update visibility_check_leads v
set report_s3_url = l.new_s3_url
from s3_migration_log l
where l.table_name = 'visibility_check_leads' and l.record_id = v.id
  and l.old_url = v.report_url and l.migration_status = 'migrated';

update business_partners b
set contract_s3_urls = b.contract_s3_urls || jsonb_build_array(l.new_s3_url)
from s3_migration_log l
where l.table_name = 'business_partners' and l.record_id = b.id
  and l.old_url = b.contract_document_url and l.migration_status = 'migrated';
