-- Dropping a table drops its indexes, policies, triggers and grants with it.
drop trigger on_auth_user_created on auth.users;
drop function public.handle_new_user();

drop table usage_metrics;
drop table notification_preferences;
drop table notifications;
drop table credit_transactions;
drop table credit_accounts;
drop table api_keys;
drop table activity_logs;
drop table images;
drop table crawl_jobs;
drop table projects;
drop table profiles;

drop function public.handle_updated_at();
