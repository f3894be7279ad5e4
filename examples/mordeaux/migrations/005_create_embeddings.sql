-- Face embeddings: 512-dimensional vectors.
-- The seed used pgvector's vector(512). pgvector is not installable here, so a vector is a
-- real[] whose dimension a check constraint enforces, and cosine similarity is a function
-- (pgvector's `1 - (a <=> b)`). Moving to pgvector later is one ALTER ... TYPE vector(512).

create table embeddings (
    id             uuid primary key default gen_random_uuid(),
    tenant_id      uuid not null references tenants (id) on delete cascade,
    face_id        uuid not null references faces (id) on delete cascade,
    model_name     text not null default 'arcface',
    model_version  text not null default 'r100',
    dimension      integer not null default 512,
    embedding      real[] not null,
    norm           real,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    constraint embeddings_dimension_512 check (dimension = 512),
    constraint embeddings_embedding_dimension
        check (array_ndims(embedding) = 1 and array_length(embedding, 1) = 512
               and array_position(embedding, null) is null),
    constraint embeddings_face_model_unique unique (face_id, model_name, model_version)
);

create index idx_embeddings_tenant_id on embeddings (tenant_id);
create index idx_embeddings_face_id on embeddings (face_id);
create index idx_embeddings_model on embeddings (tenant_id, model_name, model_version);

create trigger update_embeddings_updated_at
    before update on embeddings
    for each row execute function update_updated_at_column();

create function embedding_cosine_similarity(a real[], b real[]) returns double precision
language sql
immutable
strict
parallel safe
as $$
    select sum(x * y) / nullif(sqrt(sum(x * x)) * sqrt(sum(y * y)), 0)
    from unnest(a::double precision[], b::double precision[]) as t (x, y)
$$;

comment on column embeddings.embedding is '512-dimensional face embedding (pgvector vector(512) where available)';
