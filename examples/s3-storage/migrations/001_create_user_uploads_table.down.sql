drop trigger user_uploads_updated_at on user_uploads;
drop function update_user_uploads_updated_at();
drop table user_uploads;
