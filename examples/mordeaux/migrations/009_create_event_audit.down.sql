drop table event_audit;
