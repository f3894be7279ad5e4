drop table faces;
