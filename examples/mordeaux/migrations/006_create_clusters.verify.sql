do $$
begin
    if to_regclass('public.clusters') is null then
        raise exception 'table clusters is missing';
    end if;
    if not exists (select from pg_constraint where conrelid = 'public.clusters'::regclass
                   and conname = 'clusters_centroid_dimension') then
        raise exception 'clusters.centroid has no dimension check';
    end if;
    if to_regclass('public.idx_clusters_tenant_id') is null or to_regclass('public.idx_clusters_status') is null then
        raise exception 'indexes idx_clusters_tenant_id and idx_clusters_status must exist';
    end if;
    raise notice '✅ clusters: centroid dimension check, indexes';
end
$$;
