-- Demo data, as pg_dump writes it.
COPY public.accounts (name, plan) FROM stdin;
Acme; Inc.	team
Globex	free
Initech	enterprise
\.

COPY public.users (id, account_id, email, full_name, is_admin) FROM stdin;
6f1f7a5e-2f4b-4a0e-9a57-0b6f1b8e2a11	1	ada@acme.test	Ada Lovelace	t
0b9a3a52-64a5-4d4e-8f39-8d6c0f2b7c22	1	grace@acme.test	Grace Hopper	f
3c2d5e8f-1a2b-4c3d-9e8f-7a6b5c4d3e33	2	linus@globex.test	Linus \\ Backslash	f
\.

insert into projects (account_id, name) values (1, 'Launch'), (1, 'Hiring'), (2, 'Roadmap');

insert into tasks (project_id, assignee_id, title, status, due_on) values
    (1, '6f1f7a5e-2f4b-4a0e-9a57-0b6f1b8e2a11', 'Write the press release', 'doing', current_date + 7),
    (1, '0b9a3a52-64a5-4d4e-8f39-8d6c0f2b7c22', 'Ship v1', 'done', current_date - 1),
    (2, null, 'Post the job ad; review CVs', 'todo', current_date - 3),
    (3, '3c2d5e8f-1a2b-4c3d-9e8f-7a6b5c4d3e33', 'Plan Q3', 'todo', null);
