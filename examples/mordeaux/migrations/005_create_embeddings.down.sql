drop function embedding_cosine_similarity(real[], real[]);
drop table embeddings;
