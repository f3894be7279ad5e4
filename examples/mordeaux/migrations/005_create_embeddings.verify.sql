do $$
declare
    t uuid;
    c uuid;
    f uuid;
    sim double precision;
begin
    if to_regclass('public.embeddings') is null then
        raise exception 'table embeddings is missing';
    end if;
    if to_regclass('public.idx_embeddings_face_id') is null then
        raise exception 'index idx_embeddings_face_id is missing';
    end if;
    -- The dimension check, tried in the verify transaction (rolled back).
    insert into tenants (name, slug) values ('verify', 'verify-embeddings') returning id into t;
    insert into content (tenant_id, storage_key, sha256)
    values (t, 'verify/1.jpg', repeat('0', 64)) returning id into c;
    insert into faces (tenant_id, content_id, bbox, confidence)
    values (t, c, '{"x": 1, "y": 2, "w": 30, "h": 40}', 0.99) returning id into f;
    begin
        insert into embeddings (tenant_id, face_id, embedding) values (t, f, array_fill(0.1::real, array[511]));
        raise exception 'embeddings accepted a 511-dimensional vector';
    exception when check_violation then
        null;
    end;
    insert into embeddings (tenant_id, face_id, embedding) values (t, f, array_fill(0.1::real, array[512]));
    sim := embedding_cosine_similarity(array_fill(0.1::real, array[512]), array_fill(0.3::real, array[512]));
    if abs(sim - 1) > 1e-6 then
        raise exception 'embedding_cosine_similarity of parallel vectors is %, expected 1', sim;
    end if;
    raise notice '✅ embeddings: 512 dimensions enforced, cosine similarity works';
end
$$;
