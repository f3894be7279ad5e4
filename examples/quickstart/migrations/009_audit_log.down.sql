drop trigger tasks_audit on tasks;
drop function audit_row_change();
drop table audit_log;
