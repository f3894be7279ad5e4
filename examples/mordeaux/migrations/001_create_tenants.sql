-- Multi-tenant support: every other table belongs to a tenant.
-- Also the updated_at trigger function that every table of the schema uses.

create or replace function update_updated_at_column() returns trigger
language plpgsql
as $$
begin
    new.updated_at := now();
    return new;
end;
$$;

create table tenants (
    id          uuid primary key default gen_random_uuid(),
    name        text not null,
    slug        text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    status      text not null default 'active' check (status in ('active', 'suspended', 'deleted')),
    plan        text not null default 'standard' check (plan in ('trial', 'standard', 'enterprise')),
    settings    jsonb not null default '{}'::jsonb,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);

create index idx_tenants_status on tenants (status);
create index idx_tenants_created_at on tenants (created_at);

create trigger update_tenants_updated_at
    before update on tenants
    for each row execute function update_updated_at_column();

comment on table tenants is 'Organisations using the system; all data is isolated per tenant';
