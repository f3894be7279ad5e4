-- Keeps updated_at current on every update, for every table that has the column.
create function set_updated_at() returns trigger
language plpgsql
as $fn$
begin
    new.updated_at := now();
    return new;
end;
$fn$;

create trigger accounts_set_updated_at
    before update on accounts
    for each row execute function set_updated_at();

create trigger users_set_updated_at
    before update on users
    for each row execute function set_updated_at();
