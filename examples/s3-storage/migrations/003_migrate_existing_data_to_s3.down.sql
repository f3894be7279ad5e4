-- Take back the S3 URLs that the log says were moved, then drop the tooling.
update business_profiles p
set avatar_s3_url = null
from s3_migration_log l
where l.table_name = 'business_profiles' and l.record_id = p.id
  and l.migration_status = 'migrated' and p.avatar_s3_url = l.new_s3_url;

update business_profiles p
set logo_s3_url = null
from s3_migration_log l
where l.table_name = 'business_profiles' and l.record_id = p.id
  and l.migration_status = 'migrated' and p.logo_s3_url = l.new_s3_url;

update visibility_check_leads v
set report_s3_url = null
from s3_migration_log l
where l.table_name = 'visibility_check_leads' and l.record_id = v.id
  and l.migration_status = 'migrated' and v.report_s3_url = l.new_s3_url;

update business_partners b
set contract_s3_urls = b.contract_s3_urls - l.new_s3_url
from s3_migration_log l
where l.table_name = 'business_partners' and l.record_id = b.id
  and l.migration_status = 'migrated';

drop view s3_migration_progress;
drop function generate_s3_url(text, text, uuid, text);
drop table s3_migration_log;
