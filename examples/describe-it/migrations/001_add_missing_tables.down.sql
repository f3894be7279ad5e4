-- 001_add_missing_tables_rollback.sql: removes every artifact of 001, triggers first, then
-- tables (their indexes, policies, grants and updated_at triggers go with them), then the
-- functions.
drop trigger on_session_completed on sessions;

drop table export_history;
drop table user_progress;
drop table user_api_keys;

drop function cleanup_expired_exports();
drop function update_user_progress_on_session_complete();
drop function calculate_user_level(integer);
drop function update_updated_at_column();
