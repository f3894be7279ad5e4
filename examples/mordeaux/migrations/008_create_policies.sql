-- Tenant-specific access control rules (what to watch for, what to do, how long to keep).
create table policies (
    id               uuid primary key default gen_random_uuid(),
    tenant_id        uuid not null references tenants (id) on delete cascade,
    name             text not null,
    description      text,
    policy_type      text not null check (policy_type in ('access', 'retention', 'alert', 'takedown')),
    rules            jsonb not null default '{}'::jsonb,
    priority         integer not null default 100 check (priority between 0 and 1000),
    is_active        boolean not null default true,
    effective_from   timestamptz not null default now(),
    effective_until  timestamptz,
    created_by       text,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    constraint policies_tenant_name_unique unique (tenant_id, name),
    constraint policies_rules_is_object check (jsonb_typeof(rules) = 'object'),
    constraint policies_effective_range check (effective_until is null or effective_until > effective_from)
);

create index idx_policies_tenant_id on policies (tenant_id);
create index idx_policies_active on policies (tenant_id, policy_type, priority) where is_active;

create trigger update_policies_updated_at
    before update on policies
    for each row execute function update_updated_at_column();
