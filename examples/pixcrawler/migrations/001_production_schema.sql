-- PixCrawler's production schema (production_schema.sql), kept in sync with the Drizzle
-- schema in frontend/lib/db/schema.ts, the source of truth.
-- 11 tables, Row Level Security with per-user policies on every table, the trigger on
-- auth.users that creates a new user's profile, credit account and notification
-- preferences, updated_at triggers, indexes, constraints.

-- Functions ---------------------------------------------------------------------------------

create or replace function public.handle_updated_at() returns trigger
language plpgsql
as $$
begin
    new.updated_at := now();
    return new;
end;
$$;

-- Tables ------------------------------------------------------------------------------------

-- 1. profiles: extends auth.users (one row per user, same id).
create table profiles (
    id                       uuid primary key references auth.users (id) on delete cascade,
    email                    text not null unique,
    full_name                text,
    avatar_url               text,
    role                     text not null default 'user' check (role in ('user', 'admin')),
    onboarding_completed     boolean not null default false,
    onboarding_completed_at  timestamptz,
    created_at               timestamptz not null default now(),
    updated_at               timestamptz not null default now()
);

-- 2. projects: a user's projects.
create table projects (
    id           serial primary key,
    name         varchar(100) not null,
    description  text,
    user_id      uuid not null references profiles (id) on delete cascade,
    status       varchar(20) not null default 'active' check (status in ('active', 'archived', 'deleted')),
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now()
);
create index projects_user_id_idx on projects (user_id);
create index projects_status_idx on projects (status);

-- 3. crawl_jobs: image crawling tasks, split into chunks processed by Celery workers.
create table crawl_jobs (
    id                 serial primary key,
    project_id         integer not null references projects (id) on delete cascade,
    name               varchar(100) not null,
    keywords           jsonb not null,
    max_images         integer not null default 100,
    search_engine      varchar(50) not null default 'duckduckgo',
    status             varchar(20) not null default 'pending'
                       check (status in ('pending', 'running', 'completed', 'failed', 'cancelled')),
    progress           integer not null default 0 check (progress between 0 and 100),
    total_images       integer not null default 0,
    downloaded_images  integer not null default 0,
    valid_images       integer not null default 0,
    config             jsonb not null default '{}'::jsonb,
    error_message      text,
    -- chunk tracking
    total_chunks       integer not null default 0,
    active_chunks      integer not null default 0,
    completed_chunks   integer not null default 0,
    failed_chunks      integer not null default 0,
    task_ids           jsonb not null default '[]'::jsonb,
    started_at         timestamptz,
    completed_at       timestamptz,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    constraint crawl_jobs_max_images_check check (max_images > 0),
    constraint crawl_jobs_chunks_check
        check (active_chunks >= 0 and completed_chunks >= 0 and failed_chunks >= 0
               and active_chunks + completed_chunks + failed_chunks <= total_chunks)
);
create index crawl_jobs_project_id_idx on crawl_jobs (project_id);
create index crawl_jobs_status_idx on crawl_jobs (status);
create index crawl_jobs_created_at_idx on crawl_jobs (created_at desc);

-- 4. images: crawled image metadata.
create table images (
    id             serial primary key,
    crawl_job_id   integer not null references crawl_jobs (id) on delete cascade,
    original_url   text not null,
    filename       varchar(255) not null,
    storage_url    text,
    file_size      integer,
    width          integer,
    height         integer,
    format         varchar(10),
    hash           varchar(64),
    is_valid       boolean not null default true,
    is_duplicate   boolean not null default false,
    labels         jsonb not null default '[]'::jsonb,
    metadata       jsonb not null default '{}'::jsonb,
    created_at     timestamptz not null default now()
);
create index images_crawl_job_id_idx on images (crawl_job_id);
create index images_hash_idx on images (hash);

-- 5. activity_logs: what a user did.
create table activity_logs (
    id             serial primary key,
    user_id        uuid references profiles (id) on delete cascade,
    action         text not null,
    resource_type  varchar(50),
    resource_id    varchar(100),
    metadata       jsonb not null default '{}'::jsonb,
    timestamp      timestamptz not null default now()
);
create index activity_logs_user_id_idx on activity_logs (user_id);
create index activity_logs_timestamp_idx on activity_logs (timestamp desc);

-- 6. api_keys: programmatic access keys (only a hash of the key is stored).
create table api_keys (
    id            uuid primary key default gen_random_uuid(),
    user_id       uuid not null references profiles (id) on delete cascade,
    name          varchar(100) not null,
    key_hash      varchar(255) not null unique,
    key_prefix    varchar(20) not null,
    permissions   jsonb not null default '["read"]'::jsonb,
    status        varchar(20) not null default 'active' check (status in ('active', 'revoked', 'expired')),
    rate_limit    integer not null default 1000,
    usage_count   integer not null default 0,
    last_used_at  timestamptz,
    last_used_ip  varchar(45),
    expires_at    timestamptz,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);
create index api_keys_user_id_idx on api_keys (user_id);
create index api_keys_key_prefix_idx on api_keys (key_prefix);

-- 7. credit_accounts: a user's credits and billing settings.
create table credit_accounts (
    id                   uuid primary key default gen_random_uuid(),
    user_id              uuid not null unique references profiles (id) on delete cascade,
    current_balance      integer not null default 0 check (current_balance >= 0),
    monthly_usage        integer not null default 0,
    average_daily_usage  numeric(10, 2) not null default 0,
    auto_refill_enabled  boolean not null default false,
    refill_threshold     integer not null default 100,
    refill_amount        integer not null default 500,
    monthly_limit        integer not null default 2000,
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now()
);

-- 8. credit_transactions: every credit movement.
create table credit_transactions (
    id             uuid primary key default gen_random_uuid(),
    account_id     uuid not null references credit_accounts (id) on delete cascade,
    user_id        uuid not null references profiles (id) on delete cascade,
    type           varchar(20) not null check (type in ('purchase', 'usage', 'refund', 'bonus')),
    description    text not null,
    amount         integer not null,
    balance_after  integer not null,
    status         varchar(20) not null default 'completed'
                   check (status in ('pending', 'completed', 'failed', 'cancelled')),
    metadata       jsonb not null default '{}'::jsonb,
    created_at     timestamptz not null default now()
);
create index credit_transactions_user_id_idx on credit_transactions (user_id);
create index credit_transactions_account_id_idx on credit_transactions (account_id);
create index credit_transactions_created_at_idx on credit_transactions (created_at desc);

-- 9. notifications: messages to a user.
create table notifications (
    id            serial primary key,
    user_id       uuid not null references profiles (id) on delete cascade,
    type          varchar(50) not null,
    category      varchar(50),
    title         varchar(255) not null,
    message       text not null,
    icon          varchar(50),
    color         varchar(20),
    action_url    text,
    action_label  varchar(100),
    is_read       boolean not null default false,
    read_at       timestamptz,
    metadata      jsonb not null default '{}'::jsonb,
    created_at    timestamptz not null default now()
);
create index notifications_user_id_idx on notifications (user_id);
create index notifications_user_unread_idx on notifications (user_id, created_at desc) where not is_read;

-- 10. notification_preferences: one row per user.
create table notification_preferences (
    id                 uuid primary key default gen_random_uuid(),
    user_id            uuid not null unique references profiles (id) on delete cascade,
    email_enabled      boolean not null default true,
    push_enabled       boolean not null default true,
    sms_enabled        boolean not null default false,
    email_types        jsonb not null default '["crawl_job_completed", "crawl_job_failed", "low_credits"]'::jsonb,
    push_types         jsonb not null default '["crawl_job_completed"]'::jsonb,
    digest_enabled     boolean not null default false,
    digest_frequency   varchar(20) not null default 'daily' check (digest_frequency in ('daily', 'weekly', 'monthly')),
    digest_time        varchar(5) not null default '09:00' check (digest_time ~ '^[0-2][0-9]:[0-5][0-9]$'),
    quiet_hours_start  varchar(5),
    quiet_hours_end    varchar(5),
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now()
);

-- 11. usage_metrics: daily usage per user.
create table usage_metrics (
    id                  uuid primary key default gen_random_uuid(),
    user_id             uuid not null references profiles (id) on delete cascade,
    metric_date         date not null,
    images_processed    integer not null default 0,
    images_limit        integer not null default 10000,
    storage_used_gb     numeric(10, 2) not null default 0,
    storage_limit_gb    numeric(10, 2) not null default 100,
    api_calls           integer not null default 0,
    api_calls_limit     integer not null default 50000,
    bandwidth_used_gb   numeric(10, 2) not null default 0,
    bandwidth_limit_gb  numeric(10, 2) not null default 500,
    created_at          timestamptz not null default now(),
    constraint usage_metrics_user_date_unique unique (user_id, metric_date)
);
create index usage_metrics_metric_date_idx on usage_metrics (metric_date);

-- updated_at triggers (handle_updated_at) ---------------------------------------------------
create trigger handle_updated_at before update on profiles
    for each row execute function public.handle_updated_at();
create trigger handle_updated_at before update on projects
    for each row execute function public.handle_updated_at();
create trigger handle_updated_at before update on crawl_jobs
    for each row execute function public.handle_updated_at();
create trigger handle_updated_at before update on api_keys
    for each row execute function public.handle_updated_at();
create trigger handle_updated_at before update on credit_accounts
    for each row execute function public.handle_updated_at();
create trigger handle_updated_at before update on notification_preferences
    for each row execute function public.handle_updated_at();

-- New users: profile, credit account with 100 free credits, notification preferences -------
create or replace function public.handle_new_user() returns trigger
language plpgsql
security definer
set search_path = public, pg_temp
as $$
declare
    account uuid;
begin
    insert into public.profiles (id, email, full_name, avatar_url)
    values (new.id,
            coalesce(new.email, new.id::text || '@users.invalid'),
            new.raw_user_meta_data ->> 'full_name',
            new.raw_user_meta_data ->> 'avatar_url');

    insert into public.credit_accounts (user_id, current_balance)
    values (new.id, 100)
    returning id into account;

    insert into public.credit_transactions (account_id, user_id, type, description, amount, balance_after)
    values (account, new.id, 'bonus', 'Welcome bonus: 100 free credits', 100, 100);

    insert into public.notification_preferences (user_id)
    values (new.id);

    return new;
end;
$$;

create trigger on_auth_user_created
    after insert on auth.users
    for each row execute function public.handle_new_user();

-- Row Level Security: every table, per-user policies ----------------------------------------
alter table profiles enable row level security;
alter table projects enable row level security;
alter table crawl_jobs enable row level security;
alter table images enable row level security;
alter table activity_logs enable row level security;
alter table api_keys enable row level security;
alter table credit_accounts enable row level security;
alter table credit_transactions enable row level security;
alter table notifications enable row level security;
alter table notification_preferences enable row level security;
alter table usage_metrics enable row level security;

-- Profiles: users can view/update their own profile.
create policy "Users can view own profile" on profiles
    for select to authenticated using (auth.uid() = id);
create policy "Users can update own profile" on profiles
    for update to authenticated using (auth.uid() = id) with check (auth.uid() = id);

-- Projects: users can manage their own projects.
create policy "Users can view own projects" on projects
    for select to authenticated using (auth.uid() = user_id);
create policy "Users can create own projects" on projects
    for insert to authenticated with check (auth.uid() = user_id);
create policy "Users can update own projects" on projects
    for update to authenticated using (auth.uid() = user_id) with check (auth.uid() = user_id);
create policy "Users can delete own projects" on projects
    for delete to authenticated using (auth.uid() = user_id);

-- Crawl jobs: users can manage jobs in their projects.
create policy "Users can view crawl jobs in own projects" on crawl_jobs
    for select to authenticated
    using (exists (select 1 from projects p where p.id = crawl_jobs.project_id and p.user_id = auth.uid()));
create policy "Users can create crawl jobs in own projects" on crawl_jobs
    for insert to authenticated
    with check (exists (select 1 from projects p where p.id = crawl_jobs.project_id and p.user_id = auth.uid()));
create policy "Users can update crawl jobs in own projects" on crawl_jobs
    for update to authenticated
    using (exists (select 1 from projects p where p.id = crawl_jobs.project_id and p.user_id = auth.uid()))
    with check (exists (select 1 from projects p where p.id = crawl_jobs.project_id and p.user_id = auth.uid()));
create policy "Users can delete crawl jobs in own projects" on crawl_jobs
    for delete to authenticated
    using (exists (select 1 from projects p where p.id = crawl_jobs.project_id and p.user_id = auth.uid()));

-- Images: users can view images from their crawl jobs.
create policy "Users can view images from own crawl jobs" on images
    for select to authenticated
    using (exists (select 1 from crawl_jobs j join projects p on p.id = j.project_id
                   where j.id = images.crawl_job_id and p.user_id = auth.uid()));

-- Activity logs: users can view their own activity.
create policy "Users can view own activity" on activity_logs
    for select to authenticated using (auth.uid() = user_id);

-- API keys: users can manage their own API keys.
create policy "Users can view own API keys" on api_keys
    for select to authenticated using (auth.uid() = user_id);
create policy "Users can create own API keys" on api_keys
    for insert to authenticated with check (auth.uid() = user_id);
create policy "Users can update own API keys" on api_keys
    for update to authenticated using (auth.uid() = user_id) with check (auth.uid() = user_id);
create policy "Users can delete own API keys" on api_keys
    for delete to authenticated using (auth.uid() = user_id);

-- Credit accounts: users can view/update their own account.
create policy "Users can view own credit account" on credit_accounts
    for select to authenticated using (auth.uid() = user_id);
create policy "Users can update own credit account" on credit_accounts
    for update to authenticated using (auth.uid() = user_id) with check (auth.uid() = user_id);

-- Credit transactions: users can view their own transactions.
create policy "Users can view own transactions" on credit_transactions
    for select to authenticated using (auth.uid() = user_id);

-- Notifications: users can manage their own notifications.
create policy "Users can view own notifications" on notifications
    for select to authenticated using (auth.uid() = user_id);
create policy "Users can update own notifications" on notifications
    for update to authenticated using (auth.uid() = user_id) with check (auth.uid() = user_id);
create policy "Users can delete own notifications" on notifications
    for delete to authenticated using (auth.uid() = user_id);

-- Notification preferences: users can manage their own preferences.
create policy "Users can view own notification preferences" on notification_preferences
    for select to authenticated using (auth.uid() = user_id);
create policy "Users can create own notification preferences" on notification_preferences
    for insert to authenticated with check (auth.uid() = user_id);
create policy "Users can update own notification preferences" on notification_preferences
    for update to authenticated using (auth.uid() = user_id) with check (auth.uid() = user_id);

-- Usage metrics: users can view their own metrics.
create policy "Users can view own usage metrics" on usage_metrics
    for select to authenticated using (auth.uid() = user_id);

-- What the API roles may touch at all (RLS narrows it to the user's rows) -------------------
grant select, insert, update, delete on all tables in schema public to authenticated, service_role;
grant usage, select on all sequences in schema public to authenticated, service_role;
