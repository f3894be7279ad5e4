-- Each request sets app.account_id; a user sees only their account's rows.
alter table projects enable row level security;
alter table tasks enable row level security;

create policy projects_by_account on projects
    for all to app_user
    using (account_id = nullif(current_setting('app.account_id', true), '')::bigint)
    with check (account_id = nullif(current_setting('app.account_id', true), '')::bigint);

create policy tasks_by_account on tasks
    for all to app_user
    using (exists (
        select 1 from projects p
        where p.id = tasks.project_id
          and p.account_id = nullif(current_setting('app.account_id', true), '')::bigint
    ));

grant select, insert, update, delete on projects, tasks to app_user;
grant select on accounts, users to app_user;
