drop table users;
drop table accounts;
