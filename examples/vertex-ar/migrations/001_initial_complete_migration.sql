-- Vertex AR B2B platform: the complete initial schema (Alembic revision
-- 20251218_initial_complete_migration, raw SQL form).
-- 16 tables, 2 enum types, 2 views, the updated_at trigger on every table that has the
-- column, and the default data (storage connection, demo company, admin user).

create extension if not exists "uuid-ossp";

-- Enum types, created idempotently: an existing type is kept.
do $$
begin
    create type user_role as enum ('admin', 'manager', 'viewer');
exception
    when duplicate_object then null;
end
$$;

do $$
begin
    create type notification_type as enum ('email', 'telegram', 'system', 'sms');
exception
    when duplicate_object then null;
end
$$;

create or replace function update_updated_at_column()
returns trigger as $$
begin
    new.updated_at = now();
    return new;
end;
$$ language 'plpgsql';

-- Core tables ------------------------------------------------------------------------------

-- 1. users: authentication and user management.
create table users (
    id               serial primary key,
    email            varchar(255) not null,
    hashed_password  varchar(255) not null,
    full_name        varchar(255) not null,
    role             user_role not null default 'viewer',
    is_active        boolean not null default true,
    last_login_at    timestamptz,
    login_attempts   integer not null default 0,
    locked_until     timestamptz,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    constraint ck_users_login_attempts check (login_attempts >= 0)
);
create unique index ix_users_email on users (email);
create index ix_users_role on users (role);
create index ix_users_is_active on users (is_active);
create index ix_users_created_at on users (created_at);

-- 9. storage_connections: storage provider configurations (created early: companies refer to it).
create table storage_connections (
    id              serial primary key,
    name            varchar(255) not null unique,
    provider        varchar(50) not null,
    credentials     jsonb not null default '{}'::jsonb,
    base_path       varchar(500),
    is_default      boolean not null default false,
    is_active       boolean not null default true,
    last_tested_at  timestamptz,
    test_status     varchar(50),
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    constraint ck_storage_connections_provider check (provider in ('local_disk', 'minio', 'yandex_disk'))
);
create index ix_storage_connections_provider on storage_connections (provider);
-- At most one default connection.
create unique index ux_storage_connections_default on storage_connections (is_default) where is_default;

-- 2. companies: organisations and their storage configuration.
create table companies (
    id                     serial primary key,
    name                   varchar(255) not null,
    slug                   varchar(255) not null,
    contact_email          varchar(255),
    contact_phone          varchar(50),
    storage_connection_id  integer references storage_connections (id) on delete set null,
    storage_type           varchar(50) not null default 'local',
    yandex_disk_folder_id  varchar(255),
    content_types          varchar(255),          -- comma-separated
    backup_provider        varchar(50),
    backup_remote_path     varchar(500),
    storage_quota_gb       integer not null default 10,
    storage_used_bytes     bigint not null default 0,
    is_active              boolean not null default true,
    created_at             timestamptz not null default now(),
    updated_at             timestamptz not null default now(),
    constraint ck_companies_storage_quota check (storage_quota_gb >= 0)
);
create unique index ix_companies_name on companies (name);
create unique index ix_companies_slug on companies (slug);
create index ix_companies_storage_type on companies (storage_type);
create index ix_companies_is_active on companies (is_active);
create index ix_companies_storage_connection_id on companies (storage_connection_id);

-- 3. projects: projects within companies.
create table projects (
    id                     serial primary key,
    company_id             integer not null references companies (id) on delete cascade,
    name                   varchar(255) not null,
    slug                   varchar(255) not null,
    description            text,
    subscription_end       timestamp,
    lifecycle_status       varchar(50) not null default 'active',
    status                 varchar(50) not null default 'active',
    notified_7d            boolean not null default false,
    notified_24h           boolean not null default false,
    notified_expired       boolean not null default false,
    last_status_change_at  timestamptz,
    created_at             timestamptz not null default now(),
    updated_at             timestamptz not null default now()
);
create unique index ux_projects_company_slug on projects (company_id, slug);
create index ix_projects_company_id on projects (company_id);
create index ix_projects_status on projects (status);
create index ix_projects_subscription_end on projects (subscription_end);

-- Content hierarchy -------------------------------------------------------------------------

-- 4. folders: a tree of folders within a project.
create table folders (
    id           serial primary key,
    project_id   integer not null references projects (id) on delete cascade,
    parent_id    integer references folders (id) on delete cascade,
    name         varchar(255) not null,
    description  text,
    folder_path  varchar(500),
    sort_order   integer not null default 0,
    is_active    varchar(50) not null default 'active',
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    constraint ck_folders_not_own_parent check (parent_id is null or parent_id <> id)
);
create index ix_folders_project_id on folders (project_id);
create index ix_folders_parent_id on folders (parent_id);

-- 5. clients: a company's clients.
create table clients (
    id          serial primary key,
    company_id  integer not null references companies (id) on delete cascade,
    name        varchar(255) not null,
    phone       varchar(50),
    email       varchar(255),
    address     varchar(500),
    notes       text,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
create index ix_clients_company_id on clients (company_id);
create index ix_clients_phone on clients (phone);
create index ix_clients_email on clients (email);

-- 6. orders: orders with subscription tracking.
create table orders (
    id                serial primary key,
    company_id        integer not null references companies (id) on delete cascade,
    client_id         integer references clients (id) on delete set null,
    order_number      varchar(100) not null,
    content_type      varchar(100) not null,
    status            varchar(50) not null default 'pending',
    payment_status    varchar(50) not null default 'unpaid',
    amount            decimal(10, 2) not null,
    subscription_end  timestamp,
    notes             text,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    constraint ck_orders_amount check (amount >= 0)
);
create unique index ix_orders_order_number on orders (order_number);
create index ix_orders_company_id on orders (company_id);
create index ix_orders_client_id on orders (client_id);
create index ix_orders_status on orders (status);
create index ix_orders_company_created on orders (company_id, created_at desc);

-- 7. portraits: AR portraits with lifecycle and MindAR marker.
create table portraits (
    id                serial primary key,
    unique_id         uuid not null default uuid_generate_v4(),
    company_id        integer not null references companies (id) on delete cascade,
    client_id         integer references clients (id) on delete set null,
    folder_id         integer references folders (id) on delete set null,
    title             varchar(255),
    file_path         varchar(500) not null,
    public_url        varchar(500),
    status            varchar(50) not null default 'active',
    subscription_end  timestamp,
    lifecycle_status  varchar(50) not null default 'active',
    notified_7d       boolean not null default false,
    notified_24h      boolean not null default false,
    notified_expired  boolean not null default false,
    marker_path       varchar(500),
    marker_url        varchar(500),
    marker_status     varchar(50) not null default 'pending',
    metadata          jsonb not null default '{}'::jsonb,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now()
);
create unique index ix_portraits_unique_id on portraits (unique_id);
create index ix_portraits_company_id on portraits (company_id);
create index ix_portraits_client_id on portraits (client_id);
create index ix_portraits_folder_id on portraits (folder_id);
create index ix_portraits_status on portraits (status);
create index ix_portraits_subscription_end on portraits (subscription_end);

-- 8. videos: videos attached to a portrait, with scheduling and rotation.
create table videos (
    id              serial primary key,
    portrait_id     integer not null references portraits (id) on delete cascade,
    file_path       varchar(500) not null,
    public_url      varchar(500),
    status          varchar(50) not null default 'active',
    is_active       boolean not null default true,
    rotation_type   varchar(50),
    schedule_start  timestamp,
    schedule_end    timestamp,
    rotation_order  integer not null default 0,
    title           varchar(255),
    duration        decimal(10, 3),
    width           integer,
    height          integer,
    size_bytes      integer,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    constraint ck_videos_schedule check (schedule_end is null or schedule_start is null or schedule_end > schedule_start)
);
create index ix_videos_portrait_id on videos (portrait_id);
create index ix_videos_portrait_active_order on videos (portrait_id, is_active, rotation_order);
create index ix_videos_status on videos (status);

-- Storage -----------------------------------------------------------------------------------

-- 10. storage_folders: physical storage folders.
create table storage_folders (
    id                serial primary key,
    company_id        integer not null references companies (id) on delete cascade,
    name              varchar(255) not null,
    path              varchar(500) not null,
    folder_type       varchar(50),
    files_count       integer not null default 0,
    total_size_bytes  bigint not null default 0,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    constraint ck_storage_folders_type check (folder_type in ('portraits', 'videos', 'markers', 'custom')),
    constraint ux_storage_folders_company_path unique (company_id, path)
);
create index ix_storage_folders_company_id on storage_folders (company_id);

-- Email and notifications -------------------------------------------------------------------

-- 11. email_queue: outgoing mail with retries.
create table email_queue (
    id            serial primary key,
    recipient_to  varchar(255) not null,
    subject       varchar(500) not null,
    body          text not null,
    html          text,
    template_id   varchar(100),
    variables     jsonb not null default '{}'::jsonb,
    status        varchar(50) not null default 'pending',
    attempts      integer not null default 0,
    max_attempts  integer not null default 3,
    priority      integer not null default 5,   -- 1-10, lower = higher priority
    scheduled_at  timestamp,
    sent_at       timestamp,
    last_error    text,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    constraint ck_email_queue_priority check (priority between 1 and 10),
    constraint ck_email_queue_attempts check (attempts >= 0 and max_attempts >= 1)
);
create index ix_email_queue_status on email_queue (status);
create index ix_email_queue_pending on email_queue (priority, scheduled_at) where status = 'pending';

-- 12. notifications: multi-channel notifications.
create table notifications (
    id              serial primary key,
    company_id      integer references companies (id) on delete cascade,
    type            notification_type not null,
    priority        varchar(50) not null default 'normal',
    subject         varchar(500),
    message         text,
    email_sent      boolean not null default false,
    telegram_sent   boolean not null default false,
    email_error     text,
    telegram_error  text,
    event_data      jsonb not null default '{}'::jsonb,
    group_id        varchar(100),
    status          varchar(50) not null default 'pending',
    processed_at    timestamp,
    read_at         timestamp,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);
create index ix_notifications_company_id on notifications (company_id);
create index ix_notifications_status on notifications (status);
create index ix_notifications_type on notifications (type);
create index ix_notifications_group_id on notifications (group_id);
create index ix_notifications_created_at on notifications (created_at);

-- Audit and analytics -----------------------------------------------------------------------

-- 13. audit_log: every operation, with its actor.
create table audit_log (
    id           serial primary key,
    entity_type  varchar(100) not null,
    entity_id    integer not null,
    action       varchar(100) not null,
    changes      jsonb not null default '{}'::jsonb,
    field_name   varchar(100),
    actor_id     integer references users (id) on delete set null,
    actor_email  varchar(255),
    actor_ip     varchar(64),
    user_agent   text,
    session_id   varchar(255),
    request_id   varchar(255),
    created_at   timestamp not null default now()
);
create index ix_audit_log_entity on audit_log (entity_type, entity_id);
create index ix_audit_log_actor_id on audit_log (actor_id);
create index ix_audit_log_action on audit_log (action);
create index ix_audit_log_created_at on audit_log (created_at);

-- 14. ar_content: AR content with analytics.
create table ar_content (
    id              serial primary key,
    unique_id       uuid not null default uuid_generate_v4(),
    project_id      integer not null references projects (id) on delete cascade,
    company_id      integer not null references companies (id) on delete cascade,
    title           varchar(255) not null,
    description     text,
    client_name     varchar(255),
    client_phone    varchar(50),
    client_email    varchar(255),
    image_path      varchar(500) not null,
    image_url       varchar(500),
    thumbnail_url   varchar(500),
    marker_path     varchar(500),
    marker_url      varchar(500),
    marker_status   varchar(50) not null default 'pending',
    is_active       boolean not null default true,
    views_count     integer not null default 0,
    last_viewed_at  timestamp,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);
create unique index ix_ar_content_unique_id on ar_content (unique_id);
create index ix_ar_content_project_id on ar_content (project_id);
create index ix_ar_content_company_id on ar_content (company_id);
create index ix_ar_content_created_at on ar_content (created_at);

-- 15. video_rotation_schedules: automated video rotation.
create table video_rotation_schedules (
    id                serial primary key,
    ar_content_id     integer not null references ar_content (id) on delete cascade,
    rotation_type     varchar(50) not null,
    time_of_day       time,
    day_of_week       integer,
    day_of_month      integer,
    cron_expression   varchar(100),
    video_sequence    integer[] not null default '{}',
    current_index     integer not null default 0,
    is_active         boolean not null default true,
    last_rotation_at  timestamp,
    next_rotation_at  timestamp,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    constraint ck_video_rotation_type check (rotation_type in ('daily', 'weekly', 'monthly', 'cron', 'sequential', 'random')),
    constraint ck_video_rotation_day_of_week check (day_of_week between 0 and 6),
    constraint ck_video_rotation_day_of_month check (day_of_month between 1 and 31),
    constraint ck_video_rotation_current_index check (current_index >= 0)
);
create index ix_video_rotation_schedules_ar_content_id on video_rotation_schedules (ar_content_id);
create index ix_video_rotation_schedules_next_rotation on video_rotation_schedules (next_rotation_at) where is_active;

-- 16. ar_view_sessions: one row per AR view.
create table ar_view_sessions (
    id                serial primary key,
    ar_content_id     integer not null references ar_content (id) on delete cascade,
    project_id        integer not null references projects (id) on delete cascade,
    company_id        integer not null references companies (id) on delete cascade,
    session_id        uuid,
    user_agent        text,
    device_type       varchar(50),
    browser           varchar(100),
    os                varchar(100),
    ip_address        varchar(64),
    country           varchar(100),
    city              varchar(100),
    duration_seconds  integer,
    tracking_quality  varchar(50),
    video_played      boolean not null default false,
    created_at        timestamptz not null default now()
);
create index ix_ar_view_sessions_ar_content_id on ar_view_sessions (ar_content_id);
create index ix_ar_view_sessions_project_id on ar_view_sessions (project_id);
create index ix_ar_view_sessions_company_id on ar_view_sessions (company_id);
create index ix_ar_view_sessions_session_id on ar_view_sessions (session_id);
create index ix_ar_view_sessions_company_created on ar_view_sessions (company_id, created_at);

-- updated_at triggers: every table with an updated_at column ------------------------------
create trigger update_users_updated_at before update on users
    for each row execute function update_updated_at_column();
create trigger update_storage_connections_updated_at before update on storage_connections
    for each row execute function update_updated_at_column();
create trigger update_companies_updated_at before update on companies
    for each row execute function update_updated_at_column();
create trigger update_projects_updated_at before update on projects
    for each row execute function update_updated_at_column();
create trigger update_folders_updated_at before update on folders
    for each row execute function update_updated_at_column();
create trigger update_clients_updated_at before update on clients
    for each row execute function update_updated_at_column();
create trigger update_orders_updated_at before update on orders
    for each row execute function update_updated_at_column();
create trigger update_portraits_updated_at before update on portraits
    for each row execute function update_updated_at_column();
create trigger update_videos_updated_at before update on videos
    for each row execute function update_updated_at_column();
create trigger update_storage_folders_updated_at before update on storage_folders
    for each row execute function update_updated_at_column();
create trigger update_email_queue_updated_at before update on email_queue
    for each row execute function update_updated_at_column();
create trigger update_notifications_updated_at before update on notifications
    for each row execute function update_updated_at_column();
create trigger update_ar_content_updated_at before update on ar_content
    for each row execute function update_updated_at_column();
create trigger update_video_rotation_schedules_updated_at before update on video_rotation_schedules
    for each row execute function update_updated_at_column();

-- Views ----------------------------------------------------------------------------------
create view active_projects as
select p.*, c.name as company_name
from projects p
join companies c on p.company_id = c.id
where p.status = 'active' and c.is_active = true;

create view expiring_subscriptions as
select
    'projects' as entity_type,
    p.id as entity_id,
    p.name as entity_name,
    p.subscription_end,
    c.name as company_name,
    case
        when p.subscription_end <= now() then 'expired'
        when p.subscription_end <= now() + interval '24 hours' then 'expires_today'
        when p.subscription_end <= now() + interval '7 days' then 'expires_soon'
        else 'active'
    end as urgency
from projects p
join companies c on p.company_id = c.id
where p.subscription_end is not null
  and p.subscription_end <= now() + interval '7 days'
  and p.status = 'active'
  and c.is_active = true;

-- Default data ---------------------------------------------------------------------------
insert into storage_connections (name, provider, base_path, is_default)
values ('default_local', 'local_disk', '/app/storage/content', true);

insert into companies (name, slug, storage_type, storage_connection_id)
select 'Vertex AR Demo', 'vertex-ar-demo', 'local', id
from storage_connections
where name = 'default_local';

-- The admin account. The seed documented a plaintext default password; only a bcrypt hash
-- is stored here, of a random secret that nobody knows: set the real password with the
-- application's "reset password" flow (or store a new bcrypt hash) before the first login.
insert into users (email, hashed_password, full_name, role)
values ('admin@vertexar.com',
        '$2a$12$xGcaskVD1IUGGxGfQgmOSeUDR9k8REZr8bN40/rxiN2.9dPFdNfkK',
        'Vertex AR Administrator',
        'admin');

-- Default permissions for production (kept commented, as in the seed):
-- create role vertex_ar_app login password '...';
-- grant usage on schema public to vertex_ar_app;
-- grant select, insert, update, delete on all tables in schema public to vertex_ar_app;
-- grant usage, select on all sequences in schema public to vertex_ar_app;
