-- The seed's raw SQL rollback: every table in reverse dependency order, then the types.
-- Without CASCADE, so that nothing unexpected goes with them; storage_connections moves
-- after companies, which refers to it (the seed's CASCADE hid that).
drop view expiring_subscriptions;
drop view active_projects;

drop table audit_log;
drop table email_queue;
drop table notifications;
drop table ar_view_sessions;
drop table video_rotation_schedules;
drop table ar_content;
drop table videos;
drop table portraits;
drop table orders;
drop table clients;
drop table folders;
drop table storage_folders;
drop table projects;
drop table companies;
drop table storage_connections;
drop table users;

drop function update_updated_at_column();

drop type user_role;
drop type notification_type;

drop extension if exists "uuid-ossp";
