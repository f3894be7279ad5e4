drop view overdue_tasks;
drop view project_progress;
