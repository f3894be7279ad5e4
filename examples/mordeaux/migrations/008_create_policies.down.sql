drop table policies;
