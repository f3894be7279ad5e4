-- Processed content items (images and video frames), with their metadata.
create table content (
    id            uuid primary key default gen_random_uuid(),
    tenant_id     uuid not null references tenants (id) on delete cascade,
    source_id     uuid references sources (id) on delete set null,
    content_type  text not null default 'image' check (content_type in ('image', 'video', 'video_frame')),
    url           text,
    storage_key   text not null,
    sha256        char(64) not null check (sha256 ~ '^[0-9a-f]{64}$'),
    phash         text,
    width         integer check (width > 0),
    height        integer check (height > 0),
    status        text not null default 'pending'
                  check (status in ('pending', 'processing', 'processed', 'failed')),
    error_message text,
    metadata      jsonb not null default '{}'::jsonb,
    processed_at  timestamptz,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    constraint content_tenant_sha256_unique unique (tenant_id, sha256)
);

create index idx_content_tenant_id on content (tenant_id);
create index idx_content_source_id on content (source_id);
create index idx_content_status on content (tenant_id, status);
create index idx_content_phash on content (phash) where phash is not null;
create index idx_content_created_at on content (tenant_id, created_at desc);
create index idx_content_metadata on content using gin (metadata);

create trigger update_content_updated_at
    before update on content
    for each row execute function update_updated_at_column();
