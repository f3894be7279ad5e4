drop trigger users_set_updated_at on users;
drop trigger accounts_set_updated_at on accounts;
drop function set_updated_at();
