-- What the S3 migration found in place: Supabase's auth schema (user_uploads.user_id refers
-- to auth.users) and the three application tables that 002 alters and 003 prepares.
-- On Supabase these already exist; here they are a small stand-in so that the example runs
-- on a plain PostgreSQL 15.

-- Supabase's auth stand-in -----------------------------------------------------------------
create schema auth;

create table auth.users (
    id                 uuid primary key default gen_random_uuid(),
    email              text,
    raw_user_meta_data jsonb,
    created_at         timestamptz default now()
);

-- Supabase's auth.uid(): the `sub` claim of the request's JWT, as PostgREST sets it
-- (request.jwt.claim.sub, or the newer request.jwt.claims JSON).
create function auth.uid() returns uuid
language sql
stable
as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
    )::uuid
$$;

-- Roles are cluster-wide: created only when missing (another database may have made them,
-- even concurrently) and never dropped by a down script. service_role bypasses RLS, as on
-- Supabase.
do $$
declare
    r record;
begin
    for r in select * from (values ('anon', 'nologin'),
                                   ('authenticated', 'nologin'),
                                   ('service_role', 'nologin bypassrls')) as v (name, options) loop
        if not exists (select from pg_roles where rolname = r.name) then
            begin
                execute format('create role %I %s', r.name, r.options);
            exception when duplicate_object or unique_violation then
                null; -- created by a concurrent session in the meantime
            end;
        end if;
    end loop;
end
$$;

grant usage on schema auth to anon, authenticated, service_role;
grant usage on schema public to anon, authenticated, service_role;

-- The application tables in place before the S3 migration -------------------------------
create table business_partners (
    id                    uuid primary key default gen_random_uuid(),
    company_name          text not null,
    contact_email         text not null,
    status                text not null default 'pending'
                          check (status in ('pending', 'active', 'suspended')),
    contract_document_url text,
    created_at            timestamptz not null default now(),
    updated_at            timestamptz not null default now()
);

create table business_profiles (
    id            uuid primary key default gen_random_uuid(),
    user_id       uuid references auth.users (id) on delete cascade,
    partner_id    uuid references business_partners (id) on delete set null,
    business_name text not null,
    address       text,
    avatar_url    text,
    logo_url      text,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);

create index business_profiles_partner_id_idx on business_profiles (partner_id);

create table visibility_check_leads (
    id            uuid primary key default gen_random_uuid(),
    business_name text not null,
    email         text not null,
    location      text,
    status        text not null default 'new'
                  check (status in ('new', 'analyzing', 'completed', 'converted')),
    report_url    text,
    created_at    timestamptz not null default now()
);

-- A few rows as they were: Supabase Storage URLs, one file already on S3, one broken URL
-- and records without any file, so that 003 has every case to prepare.
insert into business_partners (id, company_name, contact_email, status, contract_document_url) values
    ('6d0c0e53-0d1c-4f2a-9a44-1b1f6c7e0a01', 'Café Sonnenschein GmbH', 'info@sonnenschein.test', 'active',
     'https://xyzcompany.supabase.co/storage/v1/object/public/contracts/sonnenschein.pdf'),
    ('6d0c0e53-0d1c-4f2a-9a44-1b1f6c7e0a02', 'Pizzeria Da Marco', 'marco@damarco.test', 'pending', null);

insert into business_profiles (id, partner_id, business_name, address, avatar_url, logo_url) values
    ('2b7e1a90-7c55-4a61-8d0e-3f2f5d6c1b01', '6d0c0e53-0d1c-4f2a-9a44-1b1f6c7e0a01', 'Café Sonnenschein',
     'Marienplatz 1, München',
     'https://xyzcompany.supabase.co/storage/v1/object/public/avatars/sonnenschein.jpg',
     'https://matbakh-files-profile.s3.eu-central-1.amazonaws.com/logos/sonnenschein.png'),
    ('2b7e1a90-7c55-4a61-8d0e-3f2f5d6c1b02', '6d0c0e53-0d1c-4f2a-9a44-1b1f6c7e0a02', 'Pizzeria Da Marco',
     'Hauptstraße 12, Berlin', 'avatars/damarco.jpg', null),
    ('2b7e1a90-7c55-4a61-8d0e-3f2f5d6c1b03', null, 'Döner Palast', 'Zeil 5, Frankfurt', null, null);

insert into visibility_check_leads (id, business_name, email, location, status, report_url) values
    ('9a3f4c21-5e6b-4d7c-8e9f-0a1b2c3d4e01', 'Café Sonnenschein', 'info@sonnenschein.test', 'München', 'completed',
     'https://xyzcompany.supabase.co/storage/v1/object/public/reports/vc-sonnenschein.pdf'),
    ('9a3f4c21-5e6b-4d7c-8e9f-0a1b2c3d4e02', 'Bäckerei Krume', 'hallo@krume.test', 'Hamburg', 'new', null);
