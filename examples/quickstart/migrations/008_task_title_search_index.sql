-- ferry:no-transaction
-- Built without blocking writes; CREATE INDEX CONCURRENTLY cannot run in a transaction.
create index concurrently if not exists tasks_title_search_idx
    on tasks using gin (to_tsvector('english', title));
