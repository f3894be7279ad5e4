drop table alerts;
