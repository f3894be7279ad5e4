create view project_progress as
select p.id as project_id,
       p.account_id,
       p.name,
       count(t.id) as tasks,
       count(t.id) filter (where t.status = 'done') as done,
       round(100.0 * count(t.id) filter (where t.status = 'done') / nullif(count(t.id), 0), 1) as percent_done
from projects p
left join tasks t on t.project_id = p.id
group by p.id;

create view overdue_tasks as
select t.id, t.title, t.due_on, u.email as assignee
from tasks t
left join users u on u.id = t.assignee_id
where t.status in ('todo', 'doing') and t.due_on < current_date;
