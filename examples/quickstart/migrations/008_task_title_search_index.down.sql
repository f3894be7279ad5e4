-- ferry:no-transaction
drop index concurrently if exists tasks_title_search_idx;
