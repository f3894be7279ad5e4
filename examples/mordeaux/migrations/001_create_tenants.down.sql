drop table tenants;
drop function update_updated_at_column();
