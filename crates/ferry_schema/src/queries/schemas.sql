select nspname from ns order by nspname
