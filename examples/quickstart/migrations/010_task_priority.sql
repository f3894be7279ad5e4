alter table tasks add column priority smallint not null default 3;
alter table tasks add constraint tasks_priority_range check (priority between 1 and 5);

update tasks set priority = 1 where status = 'doing';

comment on column tasks.priority is '1 (urgent) to 5 (someday)';
