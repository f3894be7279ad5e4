create type task_status as enum ('todo', 'doing', 'done', 'archived');

create table projects (
    id          bigint generated always as identity primary key,
    account_id  bigint not null references accounts (id) on delete cascade,
    name        text not null,
    archived    boolean not null default false,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    unique (account_id, name)
);

create table tasks (
    id          bigint generated always as identity primary key,
    project_id  bigint not null references projects (id) on delete cascade,
    assignee_id uuid references users (id) on delete set null,
    title       text not null,
    body        text not null default '',
    status      task_status not null default 'todo',
    due_on      date,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);

create index tasks_project_id_idx on tasks (project_id);
create index tasks_assignee_id_idx on tasks (assignee_id) where assignee_id is not null;
create index tasks_open_due_idx on tasks (due_on) where status in ('todo', 'doing');

create trigger projects_set_updated_at
    before update on projects
    for each row execute function set_updated_at();

create trigger tasks_set_updated_at
    before update on tasks
    for each row execute function set_updated_at();
