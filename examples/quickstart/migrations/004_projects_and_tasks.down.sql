drop table tasks;
drop table projects;
drop type task_status;
