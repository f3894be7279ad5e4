-- Where content comes from: crawlers, uploads, APIs.
create table sources (
    id               uuid primary key default gen_random_uuid(),
    tenant_id        uuid not null references tenants (id) on delete cascade,
    name             text not null,
    source_type      text not null check (source_type in ('crawler', 'upload', 'api')),
    url              text,
    config           jsonb not null default '{}'::jsonb,
    is_active        boolean not null default true,
    last_crawled_at  timestamptz,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    constraint sources_tenant_name_unique unique (tenant_id, name),
    constraint sources_crawler_has_url check (source_type <> 'crawler' or url is not null)
);

create index idx_sources_tenant_id on sources (tenant_id);
create index idx_sources_tenant_type on sources (tenant_id, source_type);
create index idx_sources_active on sources (tenant_id) where is_active;
create index idx_sources_created_at on sources (created_at);

create trigger update_sources_updated_at
    before update on sources
    for each row execute function update_updated_at_column();
