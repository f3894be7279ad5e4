comment on table tasks is null;
revoke execute on function account_usage(bigint) from app_user;
drop function account_usage(bigint);
