revoke select on accounts, users from app_user;
revoke select, insert, update, delete on projects, tasks from app_user;
drop policy tasks_by_account on tasks;
drop policy projects_by_account on projects;
alter table tasks disable row level security;
alter table projects disable row level security;
