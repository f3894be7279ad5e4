-- A reporting function callable by the application.
create or replace function account_usage(p_account_id bigint)
returns table (projects bigint, open_tasks bigint, users bigint)
language sql
stable
as $$
    select (select count(*) from projects where account_id = p_account_id),
           (select count(*) from tasks t join projects p on p.id = t.project_id
             where p.account_id = p_account_id and t.status in ('todo', 'doing')),
           (select count(*) from users where account_id = p_account_id);
$$;

grant execute on function account_usage(bigint) to app_user;

comment on table tasks is 'Work items of a project; audited by tasks_audit.';
