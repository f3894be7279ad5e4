drop table content;
