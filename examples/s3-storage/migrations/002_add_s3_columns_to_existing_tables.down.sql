-- Dropping a column drops its index, check constraint and comment with it.
drop index idx_visibility_check_leads_report_expires_at;
drop index idx_visibility_check_leads_report_s3_url;
drop index idx_business_profiles_logo_s3_url;
drop index idx_business_profiles_avatar_s3_url;

alter table business_partners
    drop column verification_document_s3_urls,
    drop column contract_s3_urls;

alter table visibility_check_leads
    drop column screenshot_s3_urls,
    drop column report_expires_at,
    drop column report_s3_url;

alter table business_profiles
    drop column document_s3_urls,
    drop column logo_s3_url,
    drop column avatar_s3_url;
