-- app_user is cluster-wide and may be used by other databases: it stays.
drop extension if exists pgcrypto;
