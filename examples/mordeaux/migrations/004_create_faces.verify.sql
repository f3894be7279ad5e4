do $$
begin
    if to_regclass('public.faces') is null then
        raise exception 'table faces is missing';
    end if;
    if not exists (select from pg_constraint where conrelid = 'public.faces'::regclass
                   and contype = 'f' and confrelid = 'public.content'::regclass) then
        raise exception 'faces.content_id has no foreign key to content';
    end if;
    if to_regclass('public.idx_faces_content_id') is null or to_regclass('public.idx_faces_tenant_id') is null then
        raise exception 'indexes idx_faces_content_id and idx_faces_tenant_id must exist';
    end if;
    raise notice '✅ faces: content foreign key, bounding box check, indexes';
end
$$;
