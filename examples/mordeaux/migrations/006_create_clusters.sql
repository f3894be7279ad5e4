-- Clusters of similar faces (probably the same person).
create table clusters (
    id                  uuid primary key default gen_random_uuid(),
    tenant_id           uuid not null references tenants (id) on delete cascade,
    label               text,
    centroid            real[],
    member_count        integer not null default 0 check (member_count >= 0),
    similarity_threshold real not null default 0.6 check (similarity_threshold between 0 and 1),
    status              text not null default 'active' check (status in ('active', 'merged', 'archived')),
    merged_into_id      uuid references clusters (id) on delete set null,
    metadata            jsonb not null default '{}'::jsonb,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    constraint clusters_centroid_dimension
        check (centroid is null or (array_ndims(centroid) = 1 and array_length(centroid, 1) = 512)),
    constraint clusters_merged_has_target check (status <> 'merged' or merged_into_id is not null)
);

create index idx_clusters_tenant_id on clusters (tenant_id);
create index idx_clusters_status on clusters (tenant_id, status);
create index idx_clusters_member_count on clusters (tenant_id, member_count desc);

create trigger update_clusters_updated_at
    before update on clusters
    for each row execute function update_updated_at_column();
