-- Alerts raised for a tenant: a face matched a protected person, a policy was violated...
create table alerts (
    id               uuid primary key default gen_random_uuid(),
    tenant_id        uuid not null references tenants (id) on delete cascade,
    policy_id        uuid references policies (id) on delete set null,
    content_id       uuid references content (id) on delete set null,
    face_id          uuid references faces (id) on delete set null,
    cluster_id       uuid references clusters (id) on delete set null,
    alert_type       text not null check (alert_type in ('face_match', 'policy_violation', 'takedown', 'system')),
    severity         text not null default 'medium' check (severity in ('low', 'medium', 'high', 'critical')),
    status           text not null default 'open' check (status in ('open', 'acknowledged', 'resolved', 'dismissed')),
    title            text not null,
    message          text,
    metadata         jsonb not null default '{}'::jsonb,
    acknowledged_at  timestamptz,
    acknowledged_by  text,
    resolved_at      timestamptz,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    constraint alerts_resolved_has_time check (status <> 'resolved' or resolved_at is not null)
);

create index idx_alerts_tenant_status on alerts (tenant_id, status);
create index idx_alerts_open on alerts (tenant_id, severity, created_at desc) where status = 'open';
create index idx_alerts_policy_id on alerts (policy_id);
create index idx_alerts_content_id on alerts (content_id);
create index idx_alerts_face_id on alerts (face_id);
create index idx_alerts_cluster_id on alerts (cluster_id);
create index idx_alerts_created_at on alerts (created_at);

create trigger update_alerts_updated_at
    before update on alerts
    for each row execute function update_updated_at_column();
