drop table cluster_members;
drop function update_cluster_member_count();
