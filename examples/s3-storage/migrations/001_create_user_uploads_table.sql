-- Requirement 4.2: one row per file uploaded to S3, with its metadata.
-- "Conditional logic": every object is created only if it is missing.

create table if not exists user_uploads (
    id                uuid primary key default gen_random_uuid(),
    user_id           uuid not null references auth.users (id) on delete cascade,
    partner_id        uuid references business_partners (id) on delete set null,
    filename          text not null,
    original_filename text not null,
    s3_url            text not null,
    s3_bucket         text not null,
    s3_key            text not null,
    content_type      text not null,
    file_size         bigint not null,
    upload_type       text not null,
    is_public         boolean not null default false,
    uploaded_at       timestamptz not null default now(),
    expires_at        timestamptz,
    metadata          jsonb not null default '{}'::jsonb,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    constraint user_uploads_upload_type_check
        check (upload_type in ('avatar', 'document', 'image', 'report', 'ai-generated')),
    constraint user_uploads_file_size_check check (file_size > 0),
    constraint user_uploads_s3_url_check check (s3_url ~ '^https://'),
    constraint user_uploads_expires_after_upload check (expires_at is null or expires_at > uploaded_at),
    constraint user_uploads_bucket_key_unique unique (s3_bucket, s3_key)
);

comment on table user_uploads is 'Every file uploaded to S3 (avatars, documents, images, reports, AI output)';
comment on column user_uploads.expires_at is 'Set for temporary files, such as generated reports';

-- Requirement 4.5: the indexes the upload and access paths query by.
create index if not exists idx_user_uploads_user_id on user_uploads (user_id);
create index if not exists idx_user_uploads_partner_id on user_uploads (partner_id) where partner_id is not null;
create index if not exists idx_user_uploads_type on user_uploads (upload_type);
create index if not exists idx_user_uploads_expires on user_uploads (expires_at) where expires_at is not null;
create index if not exists idx_user_uploads_bucket on user_uploads (s3_bucket);
create index if not exists idx_user_uploads_uploaded_at on user_uploads (uploaded_at desc);

create or replace function update_user_uploads_updated_at() returns trigger
language plpgsql
as $$
begin
    new.updated_at := now();
    return new;
end;
$$;

create trigger user_uploads_updated_at
    before update on user_uploads
    for each row execute function update_user_uploads_updated_at();
