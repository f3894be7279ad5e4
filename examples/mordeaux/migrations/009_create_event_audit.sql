-- System events and the audit trail. Rows outlive their tenant (tenant_id set to null).
create table event_audit (
    id             uuid primary key default gen_random_uuid(),
    tenant_id      uuid references tenants (id) on delete set null,
    event_type     text not null,
    actor_type     text not null default 'system' check (actor_type in ('system', 'user', 'api')),
    actor_id       text,
    resource_type  text,
    resource_id    uuid,
    action         text not null,
    payload        jsonb not null default '{}'::jsonb,
    ip_address     inet,
    user_agent     text,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now()
);

create index idx_event_audit_tenant_created on event_audit (tenant_id, created_at desc);
create index idx_event_audit_event_type on event_audit (event_type);
create index idx_event_audit_resource on event_audit (resource_type, resource_id);
-- Append-only and time-ordered: a BRIN index is tiny and fast for time ranges.
create index idx_event_audit_created_at on event_audit using brin (created_at);

create trigger update_event_audit_updated_at
    before update on event_audit
    for each row execute function update_updated_at_column();
