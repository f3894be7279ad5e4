create table accounts (
    id          bigint generated always as identity primary key,
    name        text not null check (length(name) between 1 and 200),
    plan        text not null default 'free' check (plan in ('free', 'team', 'enterprise')),
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);

create table users (
    id          uuid primary key default gen_random_uuid(),
    account_id  bigint not null references accounts (id) on delete cascade,
    email       text not null,
    full_name   text not null,
    is_admin    boolean not null default false,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    constraint users_email_format check (email ~ '^[^@\s]+@[^@\s]+$')
);

create unique index users_email_key on users (lower(email));
create index users_account_id_idx on users (account_id);
