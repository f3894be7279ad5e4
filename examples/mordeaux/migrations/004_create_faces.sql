-- Faces detected in content: bounding box, landmarks, quality.
create table faces (
    id             uuid primary key default gen_random_uuid(),
    tenant_id      uuid not null references tenants (id) on delete cascade,
    content_id     uuid not null references content (id) on delete cascade,
    bbox           jsonb not null,
    landmarks      jsonb,
    quality_score  real check (quality_score between 0 and 1),
    confidence     real not null check (confidence between 0 and 1),
    face_crop_key  text,
    detector       text not null default 'retinaface',
    metadata       jsonb not null default '{}'::jsonb,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    -- {"x": .., "y": .., "w": .., "h": ..} in pixels of the content item
    constraint faces_bbox_shape check (bbox ?& array['x', 'y', 'w', 'h'])
);

create index idx_faces_tenant_id on faces (tenant_id);
create index idx_faces_content_id on faces (content_id);
create index idx_faces_quality on faces (tenant_id, quality_score desc);
create index idx_faces_created_at on faces (created_at);

create trigger update_faces_updated_at
    before update on faces
    for each row execute function update_updated_at_column();
