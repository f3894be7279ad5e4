-- restart identity, so that applying 007 again gives the same ids.
truncate tasks, projects, users, accounts restart identity;
