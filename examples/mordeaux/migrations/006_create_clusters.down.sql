drop table clusters;
