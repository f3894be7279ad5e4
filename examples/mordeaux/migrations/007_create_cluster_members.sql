-- Which face belongs to which cluster. member_count on clusters follows the rows here.
create table cluster_members (
    id                 uuid primary key default gen_random_uuid(),
    tenant_id          uuid not null references tenants (id) on delete cascade,
    cluster_id         uuid not null references clusters (id) on delete cascade,
    face_id            uuid not null references faces (id) on delete cascade,
    similarity         real check (similarity between -1 and 1),
    is_representative  boolean not null default false,
    added_by           text not null default 'system' check (added_by in ('system', 'user')),
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    constraint cluster_members_cluster_face_unique unique (cluster_id, face_id)
);

create index idx_cluster_members_tenant_id on cluster_members (tenant_id);
create index idx_cluster_members_face_id on cluster_members (face_id);
create unique index idx_cluster_members_representative on cluster_members (cluster_id) where is_representative;

create trigger update_cluster_members_updated_at
    before update on cluster_members
    for each row execute function update_updated_at_column();

create function update_cluster_member_count() returns trigger
language plpgsql
as $$
begin
    if tg_op in ('INSERT', 'UPDATE') then
        update clusters set member_count = (select count(*) from cluster_members where cluster_id = new.cluster_id)
        where id = new.cluster_id;
    end if;
    if tg_op in ('DELETE', 'UPDATE') then
        update clusters set member_count = (select count(*) from cluster_members where cluster_id = old.cluster_id)
        where id = old.cluster_id;
    end if;
    return null;
end;
$$;

create trigger cluster_members_count
    after insert or update of cluster_id or delete on cluster_members
    for each row execute function update_cluster_member_count();
