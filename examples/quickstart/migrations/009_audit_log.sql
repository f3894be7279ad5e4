create table audit_log (
    id          bigint generated always as identity primary key,
    table_name  text not null,
    row_id      text not null,
    action      text not null check (action in ('INSERT', 'UPDATE', 'DELETE')),
    changed_by  text not null default current_user,
    changed_at  timestamptz not null default now(),
    old_row     jsonb,
    new_row     jsonb
);

create index audit_log_table_row_idx on audit_log (table_name, row_id);

create function audit_row_change() returns trigger
language plpgsql
security definer
set search_path = public, pg_temp
as $body$
declare
    key text;
begin
    -- Semicolons inside the body ('a;b') must not split the statement.
    key := coalesce(to_jsonb(new) ->> 'id', to_jsonb(old) ->> 'id');
    insert into audit_log (table_name, row_id, action, old_row, new_row)
    values (tg_table_name, key, tg_op,
            case when tg_op <> 'INSERT' then to_jsonb(old) end,
            case when tg_op <> 'DELETE' then to_jsonb(new) end);
    return coalesce(new, old);
end;
$body$;

create trigger tasks_audit
    after insert or update or delete on tasks
    for each row execute function audit_row_change();
