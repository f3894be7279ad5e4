do $$
declare
    t uuid;
    c uuid;
    f uuid;
    k uuid;
begin
    if to_regclass('public.cluster_members') is null then
        raise exception 'table cluster_members is missing';
    end if;
    if not exists (select from pg_constraint where conrelid = 'public.cluster_members'::regclass
                   and conname = 'cluster_members_cluster_face_unique') then
        raise exception 'a face must be in a cluster at most once (cluster_members_cluster_face_unique)';
    end if;
    -- member_count follows the membership rows (rolled back with the verify transaction).
    insert into tenants (name, slug) values ('verify', 'verify-clusters') returning id into t;
    insert into content (tenant_id, storage_key, sha256) values (t, 'verify/2.jpg', repeat('1', 64)) returning id into c;
    insert into faces (tenant_id, content_id, bbox, confidence)
    values (t, c, '{"x": 0, "y": 0, "w": 10, "h": 10}', 0.9) returning id into f;
    insert into clusters (tenant_id) values (t) returning id into k;
    insert into cluster_members (tenant_id, cluster_id, face_id, similarity) values (t, k, f, 0.93);
    if (select member_count from clusters where id = k) <> 1 then
        raise exception 'clusters.member_count does not follow cluster_members';
    end if;
    raise notice '✅ cluster_members: unique membership, member_count maintained';
end
$$;
