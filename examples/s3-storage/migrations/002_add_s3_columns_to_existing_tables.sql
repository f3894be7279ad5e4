-- Requirement 4.1: S3 URL columns on the existing tables, next to the old URL columns.

alter table business_profiles
    add column if not exists avatar_s3_url text,
    add column if not exists logo_s3_url text,
    add column if not exists document_s3_urls jsonb not null default '[]'::jsonb;

alter table visibility_check_leads
    add column if not exists report_s3_url text,
    add column if not exists report_expires_at timestamptz,
    add column if not exists screenshot_s3_urls jsonb not null default '[]'::jsonb;

alter table business_partners
    add column if not exists contract_s3_urls jsonb not null default '[]'::jsonb,
    add column if not exists verification_document_s3_urls jsonb not null default '[]'::jsonb;

-- The JSONB columns hold arrays of URLs.
alter table business_profiles
    add constraint business_profiles_document_s3_urls_is_array
    check (jsonb_typeof(document_s3_urls) = 'array');
alter table visibility_check_leads
    add constraint visibility_check_leads_screenshot_s3_urls_is_array
    check (jsonb_typeof(screenshot_s3_urls) = 'array');
alter table business_partners
    add constraint business_partners_contract_s3_urls_is_array
    check (jsonb_typeof(contract_s3_urls) = 'array'),
    add constraint business_partners_verification_document_s3_urls_is_array
    check (jsonb_typeof(verification_document_s3_urls) = 'array');

comment on column business_profiles.avatar_s3_url is 'S3 URL for the avatar image';
comment on column business_profiles.logo_s3_url is 'S3 URL for the logo image';
comment on column business_profiles.document_s3_urls is 'Array of document S3 URLs';
comment on column visibility_check_leads.report_s3_url is 'S3 URL of the generated report';
comment on column visibility_check_leads.report_expires_at is 'When the report link expires';
comment on column visibility_check_leads.screenshot_s3_urls is 'Array of screenshot S3 URLs';
comment on column business_partners.contract_s3_urls is 'Array of contract document S3 URLs';
comment on column business_partners.verification_document_s3_urls is 'Array of verification document S3 URLs';

-- Partial indexes: only the rows that have a file (requirement 4.5).
create index if not exists idx_business_profiles_avatar_s3_url
    on business_profiles (avatar_s3_url) where avatar_s3_url is not null;
create index if not exists idx_business_profiles_logo_s3_url
    on business_profiles (logo_s3_url) where logo_s3_url is not null;
create index if not exists idx_visibility_check_leads_report_s3_url
    on visibility_check_leads (report_s3_url) where report_s3_url is not null;
create index if not exists idx_visibility_check_leads_report_expires_at
    on visibility_check_leads (report_expires_at) where report_expires_at is not null;
