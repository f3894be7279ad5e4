alter table tasks drop constraint tasks_priority_range;
alter table tasks drop column priority;
